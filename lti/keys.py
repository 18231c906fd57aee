"""The tool's signing keys: the newest unretired key signs, retired keys stay published for a grace period,
so a platform that cached the key set still verifies what was signed just before a rotation."""

import json
import uuid
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from jwcrypto.jwk import JWK

from .models import ToolKey


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = uuid.uuid4().hex
    public = json.loads(JWK.from_pem(pem.encode()).export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey.objects.create(kid=kid, private_key=pem, public_jwk=public)


@transaction.atomic
def key_rotate(*, now: datetime | None = None) -> ToolKey:
    """A new key signs from now on; the ones it replaces are retired (still published for the grace period)."""
    now = now or timezone.now()
    ToolKey.objects.select_for_update().filter(retired_at__isnull=True).update(retired_at=now)
    return _new_key()


def signing_key() -> ToolKey:
    """The key that signs now; the first one is made on first use."""
    key = ToolKey.objects.filter(retired_at__isnull=True).first()
    if key is None:
        with transaction.atomic():
            key = ToolKey.objects.select_for_update().filter(retired_at__isnull=True).first() or _new_key()
    return key


def published_keys(*, now: datetime | None = None) -> list[ToolKey]:
    now = now or timezone.now()
    signing_key()
    grace = timedelta(days=settings.PANLEARN_LTI_KEY_GRACE_DAYS)
    return list(ToolKey.objects.filter(Q(retired_at__isnull=True) | Q(retired_at__gt=now - grace)))


def jwks(*, now: datetime | None = None) -> dict:
    return {"keys": [key.public_jwk for key in published_keys(now=now)]}
