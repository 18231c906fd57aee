"""Attachments of statements (Data 2.4.11, Communication 1.5.2): multipart/mixed requests in, kept data out.

A request is either application/json (every attachment then points at its data with a fileUrl) or
multipart/mixed: the statements as the first part, application/json, then one part per attachment's
data, each with X-Experience-API-Hash and binary transfer. A part belongs to the attachment whose
sha2 it carries, and to nothing else; its data must hash to it. The multipart body is parsed by the
standard library's MIME parser (email, with its HTTP policy), never by hand.
"""

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from django.conf import settings

MULTIPART = "multipart/mixed"
JSON = "application/json"
DIGESTS = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


class AttachmentsInvalid(Exception):
    """Answered 400: the request's parts do not match its statements' attachments."""


class AttachmentTooLarge(Exception):
    """Answered 413."""


@dataclass(frozen=True)
class Part:
    content_type: str
    sha2: str
    data: bytes


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def read_request(content_type: str, body: bytes) -> tuple[object, list[Part]]:
    """The statements (parsed JSON) and the attachments' parts of a POST or PUT to the Statements resource."""
    kind = media_type(content_type)
    if kind == JSON:
        return _json(body), []
    if kind == MULTIPART:
        return _multipart(content_type, body)
    raise AttachmentsInvalid("send application/json, or multipart/mixed when attachments' data comes with it")


def _json(data: bytes):
    try:
        return json.loads(data)
    except ValueError as error:
        raise AttachmentsInvalid("the statements are not JSON") from error


def _multipart(content_type: str, body: bytes) -> tuple[object, list[Part]]:
    try:
        header = content_type.encode("latin-1")
    except UnicodeEncodeError as error:
        raise AttachmentsInvalid("the Content-Type header is not plain text") from error
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + body)
    if not message.get_param("boundary"):
        raise AttachmentsInvalid("multipart/mixed needs a boundary in its Content-Type")
    if not message.is_multipart() or message.defects:
        found = ", ".join(type(defect).__name__ for defect in message.defects) or "no parts"
        raise AttachmentsInvalid(f"the body is not multipart/mixed with that boundary ({found})")
    first, *rest = message.get_payload()
    if first.get_content_type() != JSON:
        raise AttachmentsInvalid("the first part holds the statements, as application/json")
    return _json(first.get_payload(decode=True) or b""), [_part(part) for part in rest]


def _part(part: Message) -> Part:
    sha2 = (part.get("X-Experience-API-Hash") or "").strip().lower()
    if not sha2:
        raise AttachmentsInvalid("every part after the statements needs an X-Experience-API-Hash header")
    encoding = (part.get("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding != "binary":
        raise AttachmentsInvalid(f"attachments are sent with Content-Transfer-Encoding binary, not {encoding}")
    data = part.get_payload(decode=True) or b""
    limit = settings.PANLEARN_TRACKING_STORE_MAX_ATTACHMENT_BYTES
    if len(data) > limit:
        raise AttachmentTooLarge(f"an attachment holds at most {limit} bytes")
    digest = DIGESTS.get(len(sha2))
    if digest is None or digest(data).hexdigest() != sha2:
        raise AttachmentsInvalid(f"the data of part {sha2[:16]}… does not hash to its X-Experience-API-Hash")
    return Part(content_type=part.get("Content-Type") or "application/octet-stream", sha2=sha2, data=data)


def matched_parts(statements: Iterable[dict], parts: list[Part]) -> dict[str, Part]:
    """Each part by its hash, once every attachment has its data (a part, or a fileUrl) and every part an
    attachment; a part whose content type differs from its attachment's is refused too."""
    by_hash = {part.sha2: part for part in parts}
    wanted = {}
    for statement in statements:
        for attachment in statement.get("attachments") or ():
            sha2 = str(attachment.get("sha2", "")).lower()
            wanted.setdefault(sha2, attachment)
            if sha2 not in by_hash and not attachment.get("fileUrl"):
                raise AttachmentsInvalid(f"attachment {sha2[:16]}… has neither a fileUrl nor a part with its data")
            if sha2 in by_hash and media_type(by_hash[sha2].content_type) != media_type(
                str(attachment.get("contentType", ""))
            ):
                raise AttachmentsInvalid(f"the part of attachment {sha2[:16]}… has another content type")
    if extra := [part.sha2 for part in parts if part.sha2 not in wanted]:
        raise AttachmentsInvalid(f"part {extra[0][:16]}… belongs to no attachment of the statements")
    return by_hash


def multipart_body(document, parts: Iterable[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """The multipart/mixed answer to a GET with attachments=true: the JSON, then each (sha2, content type,
    data). Returns the body and its Content-Type. The boundary is random hex: no data holds it by chance."""
    parts = list(parts)
    boundary = secrets.token_hex(24)
    while any(boundary.encode() in data for _, _, data in parts):
        boundary = secrets.token_hex(24)
    chunks = [f"--{boundary}\r\nContent-Type: {JSON}\r\n\r\n".encode(), json.dumps(document).encode(), b"\r\n"]
    for sha2, content_type, data in parts:
        head = (f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {sha2}\r\n\r\n")  # fmt: skip
        chunks += [head.encode(), data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"{MULTIPART}; boundary={boundary}"
