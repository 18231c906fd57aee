"""Signed statements (Data 2.6): a JWS of the statement, sent as an attachment's data, checked on the way in.

The signature attachment has the signature usageType and application/octet-stream, and its data is
the JWS in compact serialization. PyJWT parses it; the algorithm must be RS256, RS384 or RS512. When
the JWS names its certificate (x5c), the signature is verified against that certificate's key
(cryptography); either way its payload must be the statement itself, apart from what the store may
set or change (id and timestamp when the statement lacks them, authority, stored, version) and the
attachments, which the payload cannot contain (they include the signature).
"""

import base64
import binascii
import json
import re

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from pydantic import ValidationError

from ..xapi.models import Statement
from .attachments import AttachmentsInvalid, Part, media_type

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
ALGORITHMS = ("RS256", "RS384", "RS512")
SET_BY_THE_STORE = ("authority", "stored", "version", "attachments")
SET_WHEN_MISSING = ("id", "timestamp")
_SECONDS = re.compile(r"(\d+)(?:\.(\d+))?S$")


class SignatureInvalid(AttachmentsInvalid):
    """Answered 400: the signature is malformed or does not match its statement."""


def check_signature(statement: dict, parts: dict[str, Part]) -> None:
    """Raises SignatureInvalid unless the statement is unsigned or its signature holds."""
    signed = [item for item in statement.get("attachments") or () if item.get("usageType") == SIGNATURE]
    if not signed:
        return
    if len(signed) > 1:
        raise SignatureInvalid("a statement carries one signature")
    attachment = signed[0]
    if media_type(str(attachment.get("contentType", ""))) != "application/octet-stream":
        raise SignatureInvalid("a signature attachment's contentType is application/octet-stream")
    part = parts.get(str(attachment.get("sha2", "")).lower())
    if part is None:
        raise SignatureInvalid("a signature is sent with the statement, as a part of the request")
    payload = _verified_payload(part.data)
    if _comparable(payload, statement) != _comparable(statement, payload):
        raise SignatureInvalid("the signature's payload is not this statement")


def _verified_payload(data: bytes) -> dict:
    try:
        token = data.decode("ascii").strip()
        header = jwt.get_unverified_header(token)
    except (UnicodeDecodeError, jwt.exceptions.DecodeError) as error:
        raise SignatureInvalid("the signature is not a JWS in compact serialization") from error
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise SignatureInvalid(f"a signature uses RS256, RS384 or RS512, not {algorithm!r}")
    try:
        if "x5c" in header:
            key = _certificate_key(header["x5c"])
            decoded = jwt.api_jws.decode_complete(token, key=key, algorithms=[algorithm])
        else:  # no certificate to verify against (x5c is a SHOULD): the payload is still compared
            decoded = jwt.api_jws.decode_complete(token, algorithms=ALGORITHMS, options={"verify_signature": False})
    except jwt.exceptions.InvalidSignatureError as error:
        raise SignatureInvalid("the signature does not verify against its certificate") from error
    except jwt.exceptions.PyJWTError as error:
        raise SignatureInvalid(f"the signature is malformed: {error}") from error
    try:
        payload = json.loads(decoded["payload"])
    except ValueError as error:
        raise SignatureInvalid("the signature's payload is not JSON") from error
    if not isinstance(payload, dict):
        raise SignatureInvalid("the signature's payload is not a statement")
    return payload


def _certificate_key(chain) -> RSAPublicKey:
    try:
        key = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True)).public_key()
    except (TypeError, IndexError, KeyError, ValueError, binascii.Error) as error:
        raise SignatureInvalid("the signature's x5c is not a certificate") from error
    if not isinstance(key, RSAPublicKey):  # RS256/384/512 only: another key type cannot have signed it
        raise SignatureInvalid("the signature's certificate holds no RSA key")
    return key


def _comparable(statement: dict, other: dict) -> dict:
    """The statement as the spec compares it with its signature: normalised through the data model, without
    what the store sets, and without id or timestamp when the other side lacks them."""
    kept = {key: value for key, value in statement.items() if key not in SET_BY_THE_STORE}
    for key in SET_WHEN_MISSING:
        if key not in other:
            kept.pop(key, None)
    try:
        # Normalising only (the statement itself was validated in its request's version): 2.0.0 admits both.
        normal = Statement.model_validate(kept, context={"xapi_version": "2.0.0"}).as_json()
    except ValidationError as error:
        raise SignatureInvalid("the signature's payload is not a valid statement") from error
    for holder in (normal, normal.get("object") or {}):  # the statement's result, and a SubStatement's
        if duration := (holder.get("result") or {}).get("duration"):
            holder["result"]["duration"] = _hundredths(duration)
    return normal


def _hundredths(duration: str) -> str:
    """Durations compare to 0.01 s (Data 4.2.7 in 2.0.0, 2.4.5 in 1.0.3): PT1.234S and PT1.23S are equal."""
    return _SECONDS.sub(lambda match: f"{match[1]}.{(match[2] or '')[:2].ljust(2, '0')}S", duration)
