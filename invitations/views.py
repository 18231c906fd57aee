"""The invitee's side: the emailed one-time link, and choosing a password for an account the import made."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import links

# Spending an invitation that made an account lets this browser choose its password, for an hour.
PASSWORD_CHOICE_KEY = "panlearn_invitation_password_choice"
PASSWORD_CHOICE_MAX_AGE = 60 * 60

PROBLEMS = {
    "unknown": "This invitation link is not valid. Check that you copied the whole link from the email.",
    "used": "This invitation link has already been used. Sign in to continue.",
    "expired": "This invitation link has expired. Sign in, or use “Forgotten your password?” to set a password.",
}


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the invitation is (mail scanners that open links spend nothing); POST spends it."""
    invitation = links.invitation_for_token(token)
    problem = links.invitation_problem(invitation)
    context = {"invitation": invitation, "problem": PROBLEMS.get(problem, ""), "login_url": reverse("accounts:login")}
    if problem:
        return render(request, "invitations/accept.html", context, status=404 if problem == "unknown" else 410)
    signed_in = request.user.is_authenticated
    if signed_in and request.user.pk != invitation.user_id:
        context["problem"] = "This invitation is for another account: sign out, then open the link again."
        return render(request, "invitations/accept.html", context, status=403)
    if request.method == "GET":
        context["signs_in"] = not signed_in and links.link_signs_in(invitation)
        return render(request, "invitations/accept.html", context)
    if not signed_in and not links.link_signs_in(invitation):
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    if not links.invitation_use(invitation=invitation, user=invitation.user):
        context["problem"] = PROBLEMS["used"]
        return render(request, "invitations/accept.html", context, status=410)
    if not signed_in:
        login(request, invitation.user, backend=settings.AUTHENTICATION_BACKENDS[0])
    if not invitation.user.has_usable_password():
        request.session[PASSWORD_CHOICE_KEY] = {"user": invitation.user_id, "at": time.time()}
        return redirect("invitations:set_password")
    return redirect("onboarding:ready")


@login_required
@never_cache
def set_password(request: HttpRequest) -> HttpResponse:
    """For the account an invitation made, right after its link was spent in this browser. Any other account
    without a password (one made by a PaN identity or an LMS sign-in) is not given one by whoever holds its
    session: its owner asks for a reset link, sent to the confirmed address."""
    if request.user.has_usable_password():
        return redirect("onboarding:ready")
    choice = request.session.get(PASSWORD_CHOICE_KEY) or {}
    if choice.get("user") != request.user.pk or time.time() - choice.get("at", 0) > PASSWORD_CHOICE_MAX_AGE:
        messages.error(request, "To set a password, use “Forgotten your password?” on the sign-in page.")
        return redirect("onboarding:ready")
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        request.session.pop(PASSWORD_CHOICE_KEY, None)
        return redirect("onboarding:ready")
    return render(request, "invitations/set_password.html", {"form": form})
