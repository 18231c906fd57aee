"""The certificate as a one-page PDF (ReportLab): holder, programme, facility and its logo, pass date,
validity, the public id and a QR code of the verification URL.

DejaVu Sans (shipped with matplotlib, a pinned dependency) is embedded when found, so names outside
Latin-1 (Łukasiewicz, Σοφία, Пётр) print; otherwise ReportLab's built-in Helvetica.
"""

import io
import logging
from datetime import datetime
from pathlib import Path

import segno
from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .models import Certificate
from .selectors import holder_name, verify_url

logger = logging.getLogger(__name__)
PAGE = landscape(A4)
INK = (0.12, 0.16, 0.22)
MUTED = (0.38, 0.42, 0.48)
ACCENT = (0.05, 0.37, 0.55)
_fonts: tuple[str, str] | None = None


def _font_names() -> tuple[str, str]:
    """(regular, bold), registered once per process."""
    global _fonts
    if _fonts is None:
        _fonts = ("Helvetica", "Helvetica-Bold")
        try:
            import matplotlib

            folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
            pdfmetrics.registerFont(TTFont("PanlearnSans", str(folder / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont("PanlearnSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
            _fonts = ("PanlearnSans", "PanlearnSans-Bold")
        except Exception:
            logger.warning("certificates: DejaVu Sans not found; names outside Latin-1 will not print")
    return _fonts


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=4, border=4)  # ~200 px: sharp at 36 mm, cheap to embed
    return buffer.getvalue()


def _logo(certificate: Certificate) -> ImageReader | None:
    image = certificate.completion.programme.facility.logo
    if image is None:
        return None
    try:
        with image.file.open("rb") as handle:
            return ImageReader(io.BytesIO(handle.read()))
    except Exception:  # a missing or unreadable file must not stop the certificate
        logger.warning("certificates: the logo of %s could not be read", certificate.completion.programme.facility)
        return None


def _day(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y}"


def _fit(pdf: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest size up to `size` at which `text` fits `width` (long names and programme titles)."""
    while size > 8 and pdf.stringWidth(text, font, size) > width:
        size -= 1
    return size


def render_certificate_pdf(certificate: Certificate) -> bytes:
    regular, bold = _font_names()
    completion = certificate.completion
    programme, facility = completion.programme, completion.programme.facility
    holder, url = holder_name(completion.user), verify_url(certificate.public_id)
    width, height = PAGE
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE, pageCompression=1)
    pdf.setTitle(f"{programme.name}: certificate {certificate.public_id}")
    pdf.setAuthor(facility.name)
    pdf.setSubject(f"Training certificate of {holder}")
    pdf.setCreator("panlearn")

    pdf.setStrokeColorRGB(*ACCENT)
    pdf.setLineWidth(2)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    logo = _logo(certificate)
    if logo is not None:
        pdf.drawImage(logo, 22 * mm, height - 52 * mm, width=60 * mm, height=28 * mm, preserveAspectRatio=True,
                      anchor="nw", mask="auto")  # fmt: skip
    pdf.setFillColorRGB(*MUTED)
    pdf.setFont(regular, 11)
    pdf.drawRightString(width - 22 * mm, height - 30 * mm, facility.name)

    centre, text_width = width / 2, width - 60 * mm
    lines = [
        (height - 72 * mm, "Certificate of training", bold, 28, ACCENT),
        (height - 88 * mm, "This certifies that", regular, 13, MUTED),
        (height - 104 * mm, holder, bold, 26, INK),
        (height - 118 * mm, "has passed the training programme", regular, 13, MUTED),
        (height - 132 * mm, programme.name, bold, 20, INK),
        (height - 144 * mm, f"of {facility.name}", regular, 13, MUTED),
    ]
    for y, text, font, size, colour in lines:
        pdf.setFillColorRGB(*colour)
        pdf.setFont(font, _fit(pdf, text, font, size, text_width))
        pdf.drawCentredString(centre, y, text)

    pdf.setFillColorRGB(*INK)
    pdf.setFont(regular, 12)
    pdf.drawString(26 * mm, 44 * mm, f"Passed on {_day(completion.passed_at)}")
    pdf.drawString(26 * mm, 37 * mm, f"Valid until {_day(completion.valid_until)}")
    pdf.setFillColorRGB(*MUTED)
    pdf.setFont(regular, 10)
    pdf.drawString(26 * mm, 27 * mm, f"Certificate id {certificate.public_id}")
    pdf.drawString(26 * mm, 21 * mm, f"Verify at {url}")

    size = 36 * mm
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(url))), width - 22 * mm - size, 18 * mm, width=size, height=size)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
