"""The PDF: a real one-page PDF with the name, programme, facility, dates and id, whose QR code decodes to the
verification URL; downloadable by its holder and their facility's staff only."""

import io

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from certificates.pdf import render_certificate_pdf
from certificates.selectors import verify_url

pytestmark = pytest.mark.django_db


def _read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_the_pdf_carries_name_programme_dates_and_id(certificate):
    reader = _read(render_certificate_pdf(certificate))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in ("Lise Meitner-Łukasiewicz", "General safety", "PaN Demo Source", "10 January 2026",
                     "Valid until 10 January 2027", certificate.public_id):  # fmt: skip
        assert expected in text, expected
    assert certificate.public_id in reader.metadata.title


def test_the_qr_code_decodes_to_the_verification_page(certificate, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://learn.example.org"
    reader = _read(render_certificate_pdf(certificate))
    decoded = []
    for image in reader.pages[0].images:
        decoded += [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
    assert decoded == [f"https://learn.example.org/verify/{certificate.public_id}/"]
    assert decoded[0] == verify_url(certificate.public_id)


def test_the_facility_logo_is_drawn_when_set(certificate, facility):
    from django.core.files.images import ImageFile
    from wagtail.images.models import Image as WagtailImage

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(buffer, format="PNG")
    logo = WagtailImage.objects.create(title="PDS logo", file=ImageFile(io.BytesIO(buffer.getvalue()), name="l.png"))
    facility.logo = logo
    facility.save()
    certificate.completion.programme.facility.refresh_from_db()
    reader = _read(render_certificate_pdf(certificate))
    assert len(reader.pages[0].images) == 2  # the logo and the QR code


def _download(client, certificate):
    return client.get(f"/learn/certificates/{certificate.public_id}.pdf")


def test_the_holder_downloads_it(client, certificate, holder):
    client.force_login(holder)
    response = _download(client, certificate)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert certificate.public_id in response["Content-Disposition"]
    assert "Lise" in _read(response.content).pages[0].extract_text()
    listing = client.get("/learn/certificates/").content.decode()
    assert certificate.public_id in listing and "Valid" in listing


def test_staff_of_the_facility_may_download_others_may_not(client, certificate, staff, other_staff):
    client.force_login(staff)
    assert _download(client, certificate).status_code == 200
    client.force_login(other_staff)
    assert _download(client, certificate).status_code == 404


def test_another_user_and_anonymous_cannot_download(client, certificate):
    from tests.factories import UserFactory

    assert _download(client, certificate).status_code == 302  # to the sign-in page
    client.force_login(UserFactory(username="nosy"))
    assert _download(client, certificate).status_code == 404
