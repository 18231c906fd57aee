"""Where statements go: an external LRS over HTTP (httpx) or the built-in store, behind one `send`.

`send` answers how a batch fared; the delivery loop decides what follows (mark, split, retry).
"""

import logging
from dataclasses import dataclass
from enum import Enum

import httpx
from django.conf import settings

from .models import BUILTIN_TARGET
from .xapi.vocabulary import XAPI_VERSION

logger = logging.getLogger(__name__)


class Fate(Enum):
    DELIVERED = "delivered"
    REFUSED = "refused"  # 400 or 413: something in the batch is bad; split to find it
    CONFLICT = "conflict"  # 409: some id is already there
    RETRY = "retry"  # the LRS is down, slow, overloaded or refuses our credentials: try later


@dataclass(frozen=True)
class Outcome:
    fate: Fate
    detail: str = ""


class LrsTarget:
    def __init__(self, *, name: str, endpoint: str, username: str = "", password: str = "", client=None):
        self.name = name
        self.url = endpoint.rstrip("/") + "/statements"
        self.client = client or httpx.Client(
            auth=httpx.BasicAuth(username, password) if username or password else None,
            headers={"X-Experience-API-Version": XAPI_VERSION},
            timeout=settings.PANLEARN_TRACKING_HTTP_TIMEOUT,
        )

    def close(self) -> None:
        self.client.close()

    def send(self, payloads: list[dict]) -> Outcome:
        try:
            response = self.client.post(self.url, json=payloads)
        except httpx.TimeoutException:
            return Outcome(Fate.RETRY, "timed out")
        except httpx.HTTPError as error:
            return Outcome(Fate.RETRY, f"{type(error).__name__}: {error}")
        detail = f"HTTP {response.status_code}: {response.text[:500]}"
        if response.status_code in (200, 204):
            return Outcome(Fate.DELIVERED)
        if response.status_code in (400, 413):
            return Outcome(Fate.REFUSED, detail)
        if response.status_code == 409:
            return Outcome(Fate.CONFLICT, detail)
        return Outcome(Fate.RETRY, detail)

    def has(self, statement_id: str) -> bool | None:
        """Does the LRS hold this id (voided or not)? None when it cannot say now."""
        for parameter in ("statementId", "voidedStatementId"):
            try:
                response = self.client.get(self.url, params={parameter: statement_id})
            except httpx.HTTPError:
                return None
            if response.status_code == 200:
                return True
            if response.status_code != 404:
                return None
        return False


class BuiltinTarget:
    """The built-in store, fed in-process: no HTTP, one transaction per batch."""

    name = BUILTIN_TARGET

    def close(self) -> None:
        pass

    def send(self, payloads: list[dict]) -> Outcome:
        from .store.services import StatementInvalid, statements_store

        try:
            statements_store(payloads, caller=None, existing_ok=True)  # panlearn itself
        except StatementInvalid as error:
            return Outcome(Fate.REFUSED, str(error))
        return Outcome(Fate.DELIVERED)

    def has(self, statement_id: str) -> bool | None:
        from .models import StoredStatement

        return StoredStatement.objects.filter(statement_id=statement_id).exists()


def configured_targets() -> list:
    targets = [BuiltinTarget()] if settings.PANLEARN_TRACKING_STORE_ENABLED else []
    return targets + [LrsTarget(**lrs) for lrs in settings.PANLEARN_TRACKING_LRS]
