"""Attachments and signed statements in the built-in store (Data 2.4.11 and 2.6, Communication 1.5.2)."""

import base64
import datetime
import hashlib
import json
import uuid
from email.parser import BytesParser
from email.policy import HTTP

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.tracking.test_store import HEADERS, URL, get, post, statement
from tracking.models import StatementAttachment, StoredStatement

pytestmark = pytest.mark.django_db
BOUNDARY = "-------314159265358979323846"
TEXT = b"here is a simple attachment"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachment(data: bytes = TEXT, content_type: str = "text/plain", **extra) -> dict:
    return {
        "usageType": "http://adlnet.gov/expapi/attachments/text",
        "display": {"en-US": "notes"},
        "contentType": content_type,
        "length": len(data),
        "sha2": sha(data),
        **extra,
    }


def part(data: bytes, content_type: str = "text/plain", *, sha2: str | None = None, encoding="binary") -> bytes:
    headers = f"Content-Type: {content_type}\r\n"
    if encoding:
        headers += f"Content-Transfer-Encoding: {encoding}\r\n"
    if sha2 != "":
        headers += f"X-Experience-API-Hash: {sha2 or sha(data)}\r\n"
    return headers.encode() + b"\r\n" + data


def multipart(statements, *parts: bytes, first_type="application/json", boundary=BOUNDARY) -> bytes:
    chunks = [f"--{boundary}\r\nContent-Type: {first_type}\r\n\r\n".encode() + json.dumps(statements).encode()]
    chunks += [f"--{boundary}\r\n".encode() + item for item in parts]
    return b"\r\n".join(chunks) + f"\r\n--{boundary}--\r\n".encode()


def post_multipart(client, body: bytes, content_type=f"multipart/mixed; boundary={BOUNDARY}", method="post", **query):
    url = URL + (f"?statementId={query['statementId']}" if query else "")
    return getattr(client, method)(url, body, content_type=content_type, **HEADERS)


def parsed(response) -> list:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + response["Content-Type"].encode() + b"\r\n\r\n" + response.content
    )
    assert message.is_multipart() and not message.defects
    return message.get_payload()


def test_an_attachment_sent_with_its_statement_comes_back_with_attachments_true(client):
    data = bytes(range(256)) * 4 + b"\r\n--not-the-boundary\r\n\r\n"  # every byte value, and line breaks
    with_data = statement(attachments=[attachment(data, "application/octet-stream")])
    response = post_multipart(client, multipart(with_data, part(data, "application/octet-stream")))
    assert response.status_code == 200, response.content
    (statement_id,) = response.json()
    plain = get(client, statementId=statement_id)
    assert plain["Content-Type"] == "application/json" and plain.json()["attachments"][0]["sha2"] == sha(data)
    both = get(client, statementId=statement_id, attachments="true")
    assert both.status_code == 200 and both["Content-Type"].startswith("multipart/mixed; boundary=")
    assert both["X-Experience-API-Consistent-Through"]
    first, second = parsed(both)
    assert first.get_content_type() == "application/json" and json.loads(first.get_payload())["id"] == statement_id
    assert second["X-Experience-API-Hash"] == sha(data) and second["Content-Transfer-Encoding"] == "binary"
    assert second.get_payload(decode=True) == data
    assert both.content.count(sha(data).encode()) == 2  # in the statement and in its part's header
    listed = get(client, attachments="true")
    first, second = parsed(listed)
    assert [s["id"] for s in json.loads(first.get_payload())["statements"]] == [statement_id]
    assert second.get_payload(decode=True) == data
    assert get(client, attachments="false")["Content-Type"] == "application/json"
    assert get(client, attachments="yes").status_code == 400


def test_put_takes_attachments_too(client):
    statement_id = str(uuid.uuid4())
    body = multipart(statement(attachments=[attachment()]), part(TEXT))
    assert post_multipart(client, body, method="put", statementId=statement_id).status_code == 204
    assert StatementAttachment.objects.get().statement.statement_id == uuid.UUID(statement_id)


def test_file_urls_need_no_part_and_json_needs_file_urls(client):
    linked = statement(attachments=[attachment(fileUrl="https://files.example.org/notes.txt")])
    assert post(client, linked).status_code == 200
    assert post(client, statement(attachments=[attachment()])).status_code == 400  # no data anywhere
    # A multipart request may hold attachments that have only a fileUrl, or none at all.
    assert post_multipart(client, multipart(linked)).status_code == 200
    assert post_multipart(client, multipart(statement())).status_code == 200
    # An attachment with both: its part is kept.
    both = statement(attachments=[attachment(fileUrl="https://files.example.org/notes.txt")])
    (statement_id,) = post_multipart(client, multipart(both, part(TEXT))).json()
    assert TEXT in get(client, statementId=statement_id, attachments="true").content


@pytest.mark.parametrize(
    "body, content_type",
    [
        (multipart(statement(attachments=[attachment()])), None),  # the data is missing
        (multipart(statement(attachments=[attachment()]), part(TEXT), part(b"extra")), None),  # a part too many
        (multipart(statement(attachments=[attachment()]), part(TEXT, sha2="")), None),  # no hash header
        (multipart(statement(attachments=[attachment()]), part(TEXT, sha2=sha(b"other"))), None),  # another hash
        (multipart(statement(attachments=[attachment()]), part(b"tampered", sha2=sha(TEXT))), None),  # wrong data
        (multipart(statement(attachments=[attachment()]), part(TEXT, encoding="base64")), None),
        (multipart(statement(attachments=[attachment()]), part(TEXT, "image/png")), None),  # another type
        (multipart(statement(attachments=[attachment()]), part(TEXT), first_type="text/plain"), None),
        (multipart(statement(), part(json.dumps(statement()).encode(), "application/json")), None),  # 2 JSON parts
        (multipart(statement(attachments=[attachment()]), part(TEXT)), "multipart/mixed"),  # no boundary
        (multipart(statement(attachments=[attachment()]), part(TEXT)), f"multipart/form-data; boundary={BOUNDARY}"),
        (b"Content-Type: application/json\r\n\r\n" + json.dumps(statement()).encode(), None),  # no delimiter
    ],
    ids=[
        "missing",
        "excess",
        "no-hash",
        "other-hash",
        "wrong-data",
        "base64",
        "other-type",
        "first-not-json",
        "two-json",
        "no-boundary",
        "form-data",
        "no-delimiter",
    ],
)
def test_parts_that_do_not_match_their_attachments_are_refused(client, body, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    response = post_multipart(client, body, **kwargs)
    assert response.status_code == 400, response.content
    assert response.json()["error"]
    assert not StoredStatement.objects.exists() and not StatementAttachment.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"length": "27"},
        {"sha2": 495395},
        {"sha2": "not-hex"},
        {"contentType": 3},
        {"display": "notes"},
        {"usageType": "not an iri"},
        {"fileUrl": 7},
    ],
)
def test_malformed_attachment_objects_are_refused(client, change):
    linked = {**attachment(fileUrl="https://f.example.org/a"), **change}
    assert post(client, statement(attachments=[linked])).status_code == 400


def test_sizes_are_limited(client, settings):
    settings.PANLEARN_TRACKING_STORE_MAX_ATTACHMENT_BYTES = 10
    response = post_multipart(client, multipart(statement(attachments=[attachment()]), part(TEXT)))
    assert response.status_code == 413
    settings.PANLEARN_TRACKING_STORE_MAX_ATTACHMENT_BYTES = 1 << 20
    settings.PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES = 100
    response = post_multipart(client, multipart(statement(attachments=[attachment()]), part(TEXT)))
    assert response.status_code == 413
    assert not StoredStatement.objects.exists()
    # Above Django's form limit (2.5 MB) but within the store's: accepted, not refused by Django.
    settings.PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES = 16 << 20
    settings.PANLEARN_TRACKING_STORE_MAX_ATTACHMENT_BYTES = 8 << 20
    big = bytes(3 << 20)
    response = post_multipart(client, multipart(statement(attachments=[attachment(big)]), part(big)))
    assert response.status_code == 200, response.content


def test_data_is_one_file_per_request_and_goes_with_its_last_statement(client, django_capture_on_commit_callbacks):
    """Two statements of one request share their data's file; another request's copy is its own file (no
    request ever reuses or deletes another's). A file goes when the last statement naming it does."""
    pair = [statement(attachments=[attachment()]), statement(actor="bob", attachments=[attachment()])]
    first, second = post_multipart(client, multipart(pair, part(TEXT))).json()
    (third,) = post_multipart(client, multipart(statement(actor="cem", attachments=[attachment()]), part(TEXT))).json()
    rows = {str(row.statement.statement_id): row.content for row in StatementAttachment.objects.all()}
    assert rows[first].name == rows[second].name != rows[third].name
    storage = rows[first].storage
    with django_capture_on_commit_callbacks(execute=True):
        StoredStatement.objects.filter(statement_id=first).delete()
    assert storage.exists(rows[second].name)
    with django_capture_on_commit_callbacks(execute=True):
        StoredStatement.objects.filter(statement_id__in=[second, third]).delete()
    assert not storage.exists(rows[second].name) and not storage.exists(rows[third].name)


def test_a_resent_statement_keeps_no_second_copy(client):
    linked = statement(id=str(uuid.uuid4()), attachments=[attachment(fileUrl="https://files.example.org/n.txt")])
    assert post(client, linked).status_code == 200
    assert post_multipart(client, multipart(linked, part(TEXT))).status_code == 200  # the same statement again
    assert not StatementAttachment.objects.exists()


def test_a_page_of_attachments_stays_within_the_budget(client, settings):
    big = bytes(range(256)) * 40  # 10 KiB each
    for number in range(3):
        data = big + bytes([number])
        post_multipart(client, multipart(statement(actor=f"a{number}", attachments=[attachment(data)]), part(data)))
    settings.PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES = 25_000  # two of them, not three
    first = parsed(get(client, attachments="true"))
    listed = json.loads(first[0].get_payload())
    assert len(listed["statements"]) == 2 and len(first) == 3 and listed["more"]
    rest = parsed(client.get(listed["more"], **HEADERS))
    assert len(json.loads(rest[0].get_payload())["statements"]) == 1 and len(rest) == 2


def test_a_failed_batch_keeps_no_data(client):
    good = statement(attachments=[attachment()])
    taken = str(uuid.uuid4())
    assert post(client, statement(id=taken)).status_code == 200
    conflicting = statement(actor="someone-else", id=taken)
    response = post_multipart(client, multipart([good, conflicting], part(TEXT)))
    assert response.status_code == 409
    assert StoredStatement.objects.count() == 1 and not StatementAttachment.objects.exists()


# -- signed statements ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "panlearn test signer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    x5c = [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()]
    return key, x5c


def signed_request(payload: dict, token: str, *, content_type="application/octet-stream", sent=None) -> bytes:
    data = token.encode()
    signature = {**attachment(data, content_type), "usageType": SIGNATURE}
    body = {**(sent or payload), "attachments": [signature]}
    return multipart(body, part(data, content_type))


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
@pytest.mark.parametrize("with_certificate", [True, False])
def test_signed_statements_are_accepted(client, signer, algorithm, with_certificate):
    key, x5c = signer
    payload = statement(id=str(uuid.uuid4()))
    headers = {"x5c": x5c} if with_certificate else None
    token = jwt.encode(payload, key, algorithm=algorithm, headers=headers)
    response = post_multipart(client, signed_request(payload, token))
    assert response.status_code == 200, response.content
    (statement_id,) = response.json()
    back = parsed(get(client, statementId=statement_id, attachments="true"))
    assert back[1].get_payload(decode=True).decode() == token


def test_signatures_that_do_not_hold_are_refused(client, signer):
    key, x5c = signer
    payload = statement(id=str(uuid.uuid4()))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "another statement": signed_request(payload, jwt.encode(statement(actor="eve"), key, algorithm="RS256")),
        "HMAC": signed_request(payload, jwt.encode(payload, "a shared secret of at least 32 bytes", algorithm="HS256")),
        "not a JWS": signed_request(payload, "not.a.jws"),
        "another key than its certificate's": signed_request(
            payload, jwt.encode(payload, other_key, algorithm="RS256", headers={"x5c": x5c})
        ),
        "a text content type": signed_request(
            payload, jwt.encode(payload, key, algorithm="RS256"), content_type="text/plain"
        ),
    }
    # A payload that is not JSON, signed properly (the ADL suite breaks the JSON's first quote).
    header = base64.urlsafe_b64encode(b'{"alg":"RS256"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(payload).replace('"', "'", 1).encode()).rstrip(b"=")
    signing_input = header + b"." + body
    from cryptography.hazmat.primitives.asymmetric import padding

    raw = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    cases["a payload that is not JSON"] = signed_request(
        payload, (signing_input + b"." + base64.urlsafe_b64encode(raw).rstrip(b"=")).decode()
    )
    # A certificate whose key is not RSA (an EC one): refused, not a server error.
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec signer")])
    now = datetime.datetime.now(datetime.UTC)
    ec_certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(ec_key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(ec_key, hashes.SHA256())
    )  # fmt: skip
    ec_x5c = [base64.b64encode(ec_certificate.public_bytes(serialization.Encoding.DER)).decode()]
    cases["a certificate without an RSA key"] = signed_request(
        payload, jwt.encode(payload, key, algorithm="RS256", headers={"x5c": ec_x5c})
    )
    for name, request_body in cases.items():
        response = post_multipart(client, request_body)
        assert response.status_code == 400, name
    assert not StoredStatement.objects.exists()


def test_what_the_store_sets_does_not_break_a_signature(client, signer):
    """The payload lacks id and timestamp (the store sets them) and the attachments (they hold the signature)."""
    key, _x5c = signer
    payload = statement()
    sent = {**payload, "timestamp": "2026-12-05T10:00:00Z", "id": str(uuid.uuid4())}
    response = post_multipart(client, signed_request(payload, jwt.encode(payload, key, algorithm="RS256"), sent=sent))
    assert response.status_code == 200, response.content


def test_durations_compare_to_the_hundredth_of_a_second(client, signer):
    key, _x5c = signer
    payload = statement(id=str(uuid.uuid4()), result={"duration": "PT1.2345S"})
    token = jwt.encode(payload, key, algorithm="RS256")
    close = {**payload, "result": {"duration": "PT1.23S"}}
    assert post_multipart(client, signed_request(payload, token, sent=close)).status_code == 200
    other = {**payload, "id": str(uuid.uuid4()), "result": {"duration": "PT1.3S"}}
    token = jwt.encode({**payload, "id": other["id"]}, key, algorithm="RS256")
    assert post_multipart(client, signed_request(payload, token, sent=other)).status_code == 400
