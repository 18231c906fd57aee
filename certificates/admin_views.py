"""Certificates in the admin: facility staff list their facilities' certificates and revoke one with a reason.
Another facility's certificate is a 404, as in onboarding's admin."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.selectors import reportable_emails
from facilities.selectors import is_facility_staff

from . import selectors
from .services import certificate_revoke


class RevokeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text="Kept with the certificate; the public page says only that it was revoked, and when.",
    )  # fmt: skip


def _require_staff(request: HttpRequest) -> None:
    if not is_facility_staff(request.user):
        raise PermissionDenied


def certificate_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    certificates = selectors.certificates_for_staff(request.user).order_by("-issued_at")
    query = request.GET.get("q", "").strip()
    if query:
        certificates = certificates.filter(
            Q(public_id__icontains=query) | Q(completion__user__username__icontains=query)
            | Q(completion__user__confirmed_emails__email__icontains=query)
            | Q(completion__programme__name__icontains=query)
        ).distinct()  # fmt: skip
    page = Paginator(certificates, 50).get_page(request.GET.get("p"))
    emails = reportable_emails(certificate.completion.user for certificate in page)
    rows = [
        (certificate, selectors.state_of(certificate), emails.get(certificate.completion.user_id, ""))
        for certificate in page
    ]
    return render(request, "certificates/admin/list.html", {"page": page, "rows": rows, "query": query})


def certificate_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    certificate = selectors.certificates_for_staff(request.user).filter(pk=pk).first()
    if certificate is None:
        raise Http404
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and certificate.revoked_at is None and form.is_valid():
        certificate_revoke(certificate=certificate, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"Certificate {certificate.public_id} is revoked.")
        return redirect("panlearn_certificates_list")
    return render(request, "certificates/admin/revoke.html", {"certificate": certificate, "form": form,
                                                              "state": selectors.state_of(certificate)})  # fmt: skip
