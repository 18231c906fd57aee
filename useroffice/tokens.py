"""API tokens: `plu_` and 43 url-safe characters (256 bits). Only the SHA-256 is stored and compared, by an
indexed lookup of the hash: the time taken reveals nothing about the stored tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from .models import ApiToken

PREFIX = "plu_"


def token_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def token_create(*, facility, name: str, created_by=None) -> tuple[ApiToken, str]:
    """The stored row and the plain token, which is shown once and never again."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(facility=facility, name=name.strip() or "API token", prefix=plain[:10],
                                    token_hash=token_digest(plain), created_by=created_by)  # fmt: skip
    return token, plain


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_authenticate(authorization: str) -> ApiToken | None:
    """The live token of an `Authorization: Bearer …` header, or None."""
    scheme, _, plain = (authorization or "").partition(" ")
    plain = plain.strip()
    if scheme.lower() != "bearer" or not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    token = ApiToken.objects.select_related("facility").filter(token_hash=token_digest(plain),
                                                               revoked_at__isnull=True).first()  # fmt: skip
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):  # no write per request
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
