"""Setting up and typing the second factor (accounts/second_factor.py)."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .second_factor import (
    authenticator_confirm,
    authenticator_pending,
    authenticator_start,
    second_factor_enabled,
    session_verified,
    session_verify,
)

WRONG_CODE = (
    "That code is not right, or was used already. Type the current code from your authenticator app, or one of "
    "your backup codes. After several wrong codes, each new try waits longer."
)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("wagtailadmin_home")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Scan a fresh secret, then type a code from it: the account's authenticator is confirmed, this session
    verified, and the backup codes are shown once."""
    if second_factor_enabled(request.user):
        return redirect(f"{reverse('accounts:second_factor_verify')}?{urlencode({'next': _next_url(request)})}")
    device = authenticator_pending(request.user)
    if request.method == "POST" and device is not None:
        codes = authenticator_confirm(request, device, request.POST.get("code", ""))
        if codes is not None:
            return render(request, "accounts/second_factor_codes.html", {"codes": codes, "next": _next_url(request)})
        messages.error(request, WRONG_CODE)
    elif request.method == "GET" or device is None:
        device = authenticator_start(request.user)
    qr = segno.make(device.config_url, error="m")
    context = {
        "qr_svg": qr.svg_inline(scale=4, title="Scan with your authenticator app"),
        "secret": _grouped(b32encode(device.bin_key).decode()),
        "next": _next_url(request),
    }
    return render(request, "accounts/second_factor_setup.html", context)


def _grouped(secret: str) -> str:
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    if not second_factor_enabled(request.user):
        return redirect(f"{reverse('accounts:second_factor_setup')}?{urlencode({'next': _next_url(request)})}")
    if session_verified(request):
        return redirect(_next_url(request))
    if request.method == "POST":
        if session_verify(request, request.POST.get("code", "")):
            return redirect(_next_url(request))
        messages.error(request, WRONG_CODE)
    return render(request, "accounts/second_factor_verify.html", {"next": _next_url(request)})
