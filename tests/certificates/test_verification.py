"""The public verification page: valid, expired (injected clock), revoked, and unknown for forged ids."""

from datetime import UTC, datetime, timedelta

import pytest

from certificates import ids, selectors, services
from certificates.status import CertificateState, certificate_state
from tests.certificates.conftest import complete

pytestmark = pytest.mark.django_db
BEFORE_END = datetime(2026, 6, 1, tzinfo=UTC)
AFTER_END = datetime(2027, 1, 11, tzinfo=UTC)


def test_state_is_pure_in_now():
    end = datetime(2027, 1, 10, tzinfo=UTC)
    assert certificate_state(valid_until=end, revoked_at=None, now=end - timedelta(seconds=1)) == "valid"
    assert certificate_state(valid_until=end, revoked_at=None, now=end) == "expired"
    revoked = datetime(2026, 3, 1, tzinfo=UTC)
    assert certificate_state(valid_until=end, revoked_at=revoked, now=revoked - timedelta(seconds=1)) == "valid"
    assert certificate_state(valid_until=end, revoked_at=revoked, now=revoked) == "revoked"
    assert certificate_state(valid_until=end, revoked_at=revoked, now=end + timedelta(days=1)) == "revoked"
    with pytest.raises(ValueError):
        certificate_state(valid_until=end, revoked_at=None, now=datetime(2026, 1, 1))


def test_a_recorded_pass_issues_one_certificate(completion):
    certificate = completion.certificate
    assert ids.normalise(certificate.public_id) == certificate.public_id
    assert services.certificate_issue(completion=completion) == certificate  # idempotent


def test_ids_are_random_and_typed_forms_match(completion, holder, programme):
    other = complete(holder, programme, passed_at=datetime(2025, 1, 1, tzinfo=UTC)).certificate
    assert other.public_id != completion.certificate.public_id
    typed = completion.certificate.public_id.lower().replace("-", " ").replace("0", "o")
    assert selectors.certificate_by_public_id(typed) == completion.certificate


def test_valid_then_expired_with_an_injected_clock(certificate):
    found = selectors.verification(certificate.public_id, now=BEFORE_END)
    assert found.state == CertificateState.VALID
    assert found.holder == "Lise Meitner-Łukasiewicz"
    assert selectors.verification(certificate.public_id, now=AFTER_END).state == CertificateState.EXPIRED


def test_the_page_says_valid_and_shows_only_the_name(client, holder, programme):
    certificate = complete(holder, programme).certificate
    response = client.get(f"/verify/{certificate.public_id}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Valid" in text and "Lise Meitner-Łukasiewicz" in text and "General safety" in text
    assert "lise@example.org" not in text and ">lise<" not in text
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_page_says_expired(client, holder, programme):
    ended = complete(holder, programme, passed_at=datetime(2024, 1, 1, tzinfo=UTC), days=366).certificate
    response = client.get(f"/verify/{ended.public_id}/")
    assert response.status_code == 200
    assert "Expired" in response.content.decode() and "has expired" in response.content.decode()


def test_the_page_says_revoked(client, holder, programme, staff):
    certificate = complete(holder, programme).certificate
    services.certificate_revoke(certificate=certificate, by=staff, reason="Passed on someone else's account")
    response = client.get(f"/verify/{certificate.public_id}/")
    text = response.content.decode()
    assert response.status_code == 200 and "Revoked" in text
    assert "someone else" not in text  # the reason stays with the facility
    assert selectors.verification(certificate.public_id).state == CertificateState.REVOKED


def test_a_revocation_needs_a_reason_and_the_first_one_stands(certificate, staff, other_staff):
    with pytest.raises(ValueError):
        services.certificate_revoke(certificate=certificate, by=staff, reason="  ")
    services.certificate_revoke(certificate=certificate, by=staff, reason="first")
    services.certificate_revoke(certificate=certificate, by=other_staff, reason="second")
    certificate.refresh_from_db()
    assert (certificate.revoke_reason, certificate.revoked_by) == ("first", staff)


@pytest.mark.parametrize("kind", ["random", "one_character_changed", "malformed", "sql", "long"])
def test_forged_and_unknown_ids_get_one_answer(client, certificate, kind):
    real = certificate.public_id
    forged = {
        "random": ids.new_public_id(),
        "one_character_changed": real[:-1] + ("X" if real[-1] != "X" else "Y"),
        "malformed": "PLC-123",
        "sql": "' OR 1=1 --",
        "long": "A" * 500,
    }[kind]
    response = client.get(f"/verify/{forged}/")
    text = response.content.decode()
    assert response.status_code == 404
    assert "Unknown certificate" in text
    assert "Lise" not in text and "General safety" not in text and "PaN Demo Source" not in text


def test_unknown_and_known_ids_take_the_same_path(django_assert_num_queries, certificate):
    """One query each, whatever is given: no shortcut that answers a malformed id faster."""
    for given in (certificate.public_id, ids.new_public_id(), "nonsense"):
        with django_assert_num_queries(1):
            selectors.verification(given)


def test_the_page_shows_the_canonical_id_not_the_typed_one(client, certificate):
    """A typed id (lower case, spaces, O for 0, L for 1) finds the certificate; the card shows its id as
    issued, never the visitor's spelling of it."""
    real = certificate.public_id
    typed = real.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    text = client.get(f"/verify/{typed}/").content.decode()
    assert f"<code>{real}</code>" in text
    assert typed not in text and real.lower() not in text
