"""Attachments of statements (Data 2.4.11, Communication 1.5.2): multipart/mixed requests in, kept data out.

A request is either application/json (every attachment then points at its data with a fileUrl) or
multipart/mixed: the statements as the first part, application/json, then one part per attachment's
data, each with X-Experience-API-Hash and binary transfer. A part belongs to the attachment whose
sha2 it carries, and to nothing else; its data must hash to it. The multipart body is parsed by
python-multipart's streaming parser (the one Starlette uses), within limits on the number of parts and
the size of their headers and data, never by hand.
"""

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

MULTIPART = "multipart/mixed"
JSON = "application/json"
DIGESTS = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
MAX_PARTS = 100  # attachments' parts in one request
MAX_HEADER_BYTES = 16 << 10  # of one part's headers


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
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise AttachmentsInvalid("multipart/mixed needs a boundary in its Content-Type")
    reader = _PartsReader()
    parser = MultipartParser(boundary, reader.callbacks())
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as error:
        raise AttachmentsInvalid(f"the body is not multipart/mixed with that boundary ({error})") from error
    if parser.state != MultipartState.END or not reader.parts:
        raise AttachmentsInvalid("the body is not multipart/mixed with that boundary (it does not end with it)")
    (first_headers, first_data), *rest = reader.parts
    if media_type(first_headers.get("content-type", "")) != JSON:
        raise AttachmentsInvalid("the first part holds the statements, as application/json")
    return _json(first_data), [_part(headers, data) for headers, data in rest]


class _PartsReader:
    """Collects the parts python-multipart's streaming parser reports, within the store's limits: how many
    parts, how large each part's headers and data."""

    def __init__(self):
        self.parts: list[tuple[dict[str, str], bytes]] = []
        self._headers: dict[str, str] = {}
        self._field = self._value = b""
        self._data: list[bytes] = []
        self._size = self._header_size = 0

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin, "on_header_field": self._on_field, "on_header_value": self._on_value,
            "on_header_end": self._header_end, "on_part_data": self._on_data, "on_part_end": self._end,
        }  # fmt: skip

    def _begin(self) -> None:
        if len(self.parts) > MAX_PARTS:
            raise AttachmentsInvalid(f"a request holds at most {MAX_PARTS} attachments' parts")
        self._headers, self._field, self._value, self._data = {}, b"", b"", []
        self._size = self._header_size = 0

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]
        self._count_header(end - start)

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]
        self._count_header(end - start)

    def _count_header(self, size: int) -> None:
        self._header_size += size
        if self._header_size > MAX_HEADER_BYTES:
            raise AttachmentsInvalid(f"a part's headers hold at most {MAX_HEADER_BYTES} bytes")

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").strip().lower()] = self._value.decode("latin-1").strip()
        self._field = self._value = b""

    def _on_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        limit = settings.PANLEARN_TRACKING_STORE_MAX_ATTACHMENT_BYTES
        if self.parts and self._size > limit:  # (the statements' part is bounded by the request's limit)
            raise AttachmentTooLarge(f"an attachment holds at most {limit} bytes")
        self._data.append(data[start:end])

    def _end(self) -> None:
        self.parts.append((self._headers, b"".join(self._data)))


def _part(headers: dict[str, str], data: bytes) -> Part:
    sha2 = headers.get("x-experience-api-hash", "").lower()
    if not sha2:
        raise AttachmentsInvalid("every part after the statements needs an X-Experience-API-Hash header")
    encoding = (headers.get("content-transfer-encoding") or "binary").lower()
    if encoding != "binary":
        raise AttachmentsInvalid(f"attachments are sent with Content-Transfer-Encoding binary, not {encoding}")
    digest = DIGESTS.get(len(sha2))
    if digest is None or digest(data).hexdigest() != sha2:
        raise AttachmentsInvalid(f"the data of part {sha2[:16]}… does not hash to its X-Experience-API-Hash")
    return Part(content_type=headers.get("content-type") or "application/octet-stream", sha2=sha2, data=data)


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
