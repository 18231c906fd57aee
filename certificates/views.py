"""Thin views: the public verification page, the holder's list and the PDF download."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import throttle

from . import selectors
from .pdf import render_certificate_pdf
from .status import CertificateState


@require_GET
@never_cache
def verify(request: HttpRequest, public_id: str) -> HttpResponse:
    """Anyone may check a certificate. The page names the holder and nothing else about them; an unknown,
    forged or malformed id gets one answer (same template, same lookup), so it hints at nothing."""
    wait = throttle.take(throttle.CERTIFICATE_LOOKUPS_PER_ADDRESS, throttle.client_address(request))
    if wait:
        response = render(request, "certificates/verify_throttled.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    found = selectors.verification(public_id)
    status = 404 if found.state == CertificateState.UNKNOWN else 200
    response = render(request, "certificates/verify.html", {"v": found, "given": public_id[:64]}, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    rows = [(c, selectors.state_of(c)) for c in selectors.certificates_of(request.user)]
    return render(request, "certificates/mine.html", {"rows": rows})


@login_required
@never_cache
def download(request: HttpRequest, public_id: str) -> HttpResponse:
    """For the holder, staff of the certificate's facility and superusers; a 404 to anyone else."""
    certificate = selectors.certificate_by_public_id(public_id)
    if certificate is None or not selectors.may_download(request.user, certificate):
        raise Http404
    response = HttpResponse(render_certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.public_id}.pdf"'
    return response
