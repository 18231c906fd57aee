"""Credentials of the store's clients: made, checked and revoked (the admin calls these)."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from ..models import StoreClient

VALID_SCOPES = {scope for scope, _ in StoreClient.SCOPES}


class ScopesInvalid(Exception):
    pass


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def client_create(*, name: str, scopes: list[str]) -> tuple[StoreClient, str]:
    """A new client and its secret, which is shown once and kept only as a hash."""
    if not scopes or set(scopes) - VALID_SCOPES:
        raise ScopesInvalid(f"choose scopes among {', '.join(sorted(VALID_SCOPES))}")
    secret = secrets.token_urlsafe(32)
    client = StoreClient.objects.create(
        name=name, key=secrets.token_hex(10), secret_hash=_digest(secret), scopes=sorted(set(scopes))
    )
    return client, secret


def client_revoke(*, client: StoreClient) -> None:
    client.revoked_at = client.revoked_at or timezone.now()
    client.save(update_fields=["revoked_at"])


def authenticate(key: str, secret: str) -> StoreClient | None:
    client = StoreClient.objects.filter(key=key, revoked_at__isnull=True).first()
    if client is None or not constant_time_compare(client.secret_hash, _digest(secret)):
        return None
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:  # one write a minute
        StoreClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client
