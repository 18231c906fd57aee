"""What a certificate says at a given moment: pure, so the verification page's answer can be tested
by moving `now` (no clock, no database)."""

import enum
from datetime import datetime

from exercises.policy_rules import require_aware


class CertificateState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"valid": "Valid", "expired": "Expired", "revoked": "Revoked",
                "unknown": "Unknown certificate"}[self.value]  # fmt: skip


def certificate_state(*, valid_until: datetime, revoked_at: datetime | None, now: datetime) -> CertificateState:
    """Revoked (from the revocation on) wins over expired; valid until the completion's end, exclusive."""
    require_aware(now, "now")
    if revoked_at is not None and revoked_at <= now:
        return CertificateState.REVOKED
    if now >= valid_until:
        return CertificateState.EXPIRED
    return CertificateState.VALID
