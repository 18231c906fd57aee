"""Public certificate ids: 80 random bits in Crockford's base32, grouped for reading aloud
(`PLC-7K3M-Q9XA-2R5T-W8HD`). Input is normalised (case, dashes, spaces, O→0, I/L→1) so a typed id
matches; anything else simply matches nothing."""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "PLC"
_GROUPS = 4
_GROUP = 4
_CLEAN = re.compile(r"[^0-9A-Z]")


def new_public_id() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(_GROUPS * _GROUP))
    return "-".join([PREFIX, *(body[i : i + _GROUP] for i in range(0, len(body), _GROUP))])


def normalise(given: str) -> str:
    """The canonical form of a typed or scanned id; a string that cannot be one comes back as ''."""
    text = _CLEAN.sub("", (given or "")[:64].upper())
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    text = text.translate(str.maketrans("OIL", "011"))
    if len(text) != _GROUPS * _GROUP or any(char not in ALPHABET for char in text):
        return ""
    return "-".join([PREFIX, *(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))])
