"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>` with the facility's shared secret.

Headers sent: `X-Panlearn-Timestamp: <unix seconds>` and `X-Panlearn-Signature: sha256=<hex>`. A receiver
recomputes the HMAC over the timestamp header, a dot and the raw body, compares in constant time, and
refuses timestamps older than a few minutes (a replayed request carries an old one). docs/user-office.md
has a receiver's example.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Panlearn-Signature"
TIMESTAMP_HEADER = "X-Panlearn-Timestamp"
EVENT_HEADER = "X-Panlearn-Event"
DELIVERY_HEADER = "X-Panlearn-Delivery"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(*, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp,
                                                                          body=body)}  # fmt: skip


def verify(*, secret: str, body: bytes, timestamp: str, given: str, tolerance: int = 300, now: float | None = None):
    """What a receiver does (and the tests): True when the signature matches and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret=secret, timestamp=sent, body=body), given or "")
