import logging
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import oidc, throttle
from .forms import LoginForm, SignUpForm
from .hashing import BUSY_RETRY_AFTER_S, PasswordCheckBusy
from .second_factor import second_factor_enabled, second_factor_required
from .selectors import email_is_confirmed, pan_identities_for
from .services import (
    EmailNotConfirmed,
    PanIdentityRefused,
    PanSignIn,
    email_confirm_by_token,
    email_confirmation_send,
    pan_identity_link,
    pan_identity_sign_in,
    pan_identity_unlink,
    user_sign_up,
)

logger = logging.getLogger(__name__)

SESSION_BACKEND = "accounts.backends.CachedUserBackend"
BUSY_SIGN_UP_MESSAGE = (
    "Many people are signing up at once, so we could not save your password in time. Nothing was saved: "
    "please type your password again and send the form in a minute."
)
LINK_KEY = "panlearn_link_user"
# A sign-in without a verified email waits for the person's choice (`oidc_new_account`): its claims stay in
# the session, signed, for 10 minutes, and are spent by the first POST.
PENDING_KEY = oidc.PENDING_SESSION_KEY
PENDING_SALT = "panlearn.accounts.oidc-pending"
PENDING_MAX_AGE = 10 * 60
PENDING_CLAIMS = ("sub", "email", "email_verified", "preferred_username", "name", "given_name", "family_name")


def sign_up(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "courses:my_courses")
    form = SignUpForm(request.POST or None)
    wait = request.method == "POST" and throttle.take(throttle.SIGN_UPS_PER_ADDRESS, throttle.client_address(request))
    if wait:
        message = f"Many accounts were asked for from your network. Try again in {throttle.in_minutes(wait)}."
        _refuse_on_form(form, message)
        response = render(request, "accounts/sign_up.html", {"form": form, "next": next_url}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
            )
        except PasswordCheckBusy:  # nothing saved; the form comes back as typed, but for the passwords
            _refuse_on_form(form, BUSY_SIGN_UP_MESSAGE)
            response = render(request, "accounts/sign_up.html", {"form": form, "next": next_url}, status=503)
            response["Retry-After"] = str(BUSY_RETRY_AFTER_S)
            return response
        email_confirmation_send(user=user, base_url=settings.WAGTAILADMIN_BASE_URL)
        login(request, user, backend=SESSION_BACKEND)
        messages.success(
            request,
            f"Welcome to panlearn! We sent a link to {user.email}: open it so that course invitations and "
            "facility places sent to that address reach your account. Meanwhile, find a course in the catalogue.",
        )
        return redirect(next_url or "/")
    return render(
        request, "accounts/sign_up.html", {"form": form, "next": next_url}, status=400 if form.errors else 200
    )


def _refuse_on_form(form, message: str) -> None:
    """The form comes back with what was typed and one message instead of its own checks."""
    form.is_valid()
    form.errors.clear()
    form.add_error(None, message)


class LoginView(auth_views.LoginView):
    """Password sign-in, with the PaN identity button when a provider is configured."""

    template_name = "accounts/login.html"
    form_class = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pan_identity_name"] = oidc.display_name() if oidc.oidc_enabled() else ""
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", code="throttled"):
            wait = throttle.sign_in_wait(username=form.data.get("username", ""), request=self.request)
            response.status_code = 429
            response["Retry-After"] = str(wait)
        elif form.has_error("__all__", code="busy"):
            response.status_code = 503
            response["Retry-After"] = str(BUSY_RETRY_AFTER_S)
        return response


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "identities": pan_identities_for(request.user),
            "pan_identity_name": oidc.display_name() if oidc.oidc_enabled() else "",
            "email_confirmed": email_is_confirmed(request.user),
            "second_factor_required": second_factor_required(request.user),
            "second_factor_enabled": second_factor_enabled(request.user),
        },
    )


@login_required
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Signed in as the account the link names (whoever holds the mailbox could otherwise confirm the
    address for someone else's account: one made with it at sign-up). GET shows the account and a
    button, POST confirms: mail scanners that open links confirm nothing."""
    try:
        user = email_confirm_by_token(token, user=request.user, confirm=request.method == "POST")
    except EmailNotConfirmed as refused:
        return render(request, "accounts/email_confirm.html", {"token": token, "error": str(refused)}, status=400)
    if request.method != "POST":
        return render(request, "accounts/email_confirm.html", {"token": token})
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    return redirect("accounts:account")


@require_POST
@login_required
def email_confirmation_resend(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.email or email_is_confirmed(user):
        return redirect("accounts:account")
    wait = throttle.take(throttle.CONFIRMATIONS_PER_ACCOUNT, str(user.pk))
    if wait:
        messages.error(request, f"A link was sent a moment ago. Try again in {throttle.in_minutes(wait)}.")
    else:
        email_confirmation_send(user=user, base_url=settings.WAGTAILADMIN_BASE_URL)
        messages.success(request, f"We sent a new link to {user.email}.")
    return redirect("accounts:account")


@require_POST
@login_required
def pan_identity_unlink_view(request: HttpRequest, identity_id: int) -> HttpResponse:
    try:
        pan_identity_unlink(user=request.user, identity_id=identity_id)
    except PanIdentityRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "The identity is no longer linked to your account.")
    return redirect("accounts:account")


def _provider_or_none(request: HttpRequest) -> oidc.ProviderConfig | None:
    if not oidc.oidc_enabled():
        raise Http404("PaN identity sign-in is not configured.")
    try:
        return oidc.provider_config()
    except (oidc.ProviderUnavailable, ImproperlyConfigured) as exc:
        logger.error("PaN identity provider unusable: %s", exc)
        messages.error(request, f"{oidc.display_name()} cannot be reached right now. Please try again later.")
        return None


@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    config = _provider_or_none(request)
    if config is None:
        return redirect("accounts:login")
    response, _state = oidc.authorization_redirect(request, config)
    return response


@require_POST
@login_required
def oidc_link(request: HttpRequest) -> HttpResponse:
    """Start the explicit link step: the provider's answer will be linked to the signed-in user."""
    config = _provider_or_none(request)
    if config is None:
        return redirect("accounts:account")
    response, state = oidc.authorization_redirect(request, config)
    request.session["oidc_states"][state][LINK_KEY] = request.user.pk
    request.session["oidc_login_next"] = reverse("accounts:account")
    request.session.modified = True
    return response


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    config = _provider_or_none(request)
    if config is None:
        return redirect("accounts:login")
    name = config.display_name
    states = request.session.get("oidc_states")
    state = request.GET.get("state", "")
    entry = states.pop(state, None) if isinstance(states, dict) and state else None
    if entry is not None:
        request.session.modified = True  # each state answers once
    if request.GET.get("error"):
        messages.error(request, f"Sign-in with {name} was cancelled or refused.")
        return redirect("accounts:login")
    if entry is None or not request.GET.get("code") or time.time() - entry.get("added_on", 0) > oidc.STATE_MAX_AGE:
        logger.warning("PaN identity callback refused: unknown, used or stale state")
        messages.error(request, f"This sign-in with {name} was not started here or has expired. Please start again.")
        return redirect("accounts:login")

    try:
        claims = oidc.CodeExchange(config).claims_for_code(
            request, code=request.GET["code"], nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
        )
    except (requests.RequestException, SuspiciousOperation, jwt.InvalidTokenError, KeyError, ValueError) as exc:
        logger.warning("PaN identity code exchange failed: %s", exc)
        messages.error(
            request,
            f"{name} did not confirm this sign-in (the code may have expired or been used already). Please try again.",
        )
        return redirect("accounts:login")

    issuer = str(claims["iss"]).rstrip("/")
    link_user_id = entry.get(LINK_KEY)
    if link_user_id is not None:
        return _finish_link(request, link_user_id, issuer, claims, name)
    try:
        result = pan_identity_sign_in(issuer=issuer, claims=claims, create_users=settings.PANLEARN_OIDC_CREATE_USERS)
    except PanIdentityRefused as refused:
        if refused.reason == "unverified_email":
            pending = {"iss": issuer, "claims": {key: claims[key] for key in PENDING_CLAIMS if key in claims}}
            request.session[PENDING_KEY] = signing.dumps(pending, salt=PENDING_SALT)
            return redirect("accounts:oidc_new_account")
        return _refused(request, refused)
    return _signed_in(request, result, name)


@never_cache
@require_http_methods(["GET", "POST"])
def oidc_new_account(request: HttpRequest) -> HttpResponse:
    """After a sign-in whose email the provider did not verify: one page, whoever uses that address (a
    different one would tell which addresses have an account). GET asks; POST, with its CSRF token,
    creates the account from the claims waiting in the session."""
    if not oidc.oidc_enabled():
        raise Http404("PaN identity sign-in is not configured.")
    name = oidc.display_name()
    token = request.session.pop(PENDING_KEY, None) if request.method == "POST" else request.session.get(PENDING_KEY)
    try:
        pending = signing.loads(token or "", salt=PENDING_SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:  # none waiting, already used, or expired
        request.session.pop(PENDING_KEY, None)
        messages.error(request, f"This sign-in with {name} has expired. Please start again.")
        return redirect("accounts:login")
    if request.method != "POST":
        login_url = f"{reverse('accounts:login')}?next={reverse('accounts:account')}"
        return render(request, "accounts/oidc_new_account.html", {"pan_identity_name": name, "login_url": login_url})
    try:
        result = pan_identity_sign_in(
            issuer=pending["iss"],
            claims=pending["claims"],
            create_users=settings.PANLEARN_OIDC_CREATE_USERS,
            new_account_chosen=True,
        )
    except PanIdentityRefused as refused:  # deactivated meanwhile, or accounts are no longer created
        return _refused(request, refused)
    return _signed_in(request, result, name)


def _refused(request: HttpRequest, refused: PanIdentityRefused) -> HttpResponse:
    messages.error(request, str(refused))
    return redirect(f"{reverse('accounts:login')}?next={reverse('accounts:account')}")


def _signed_in(request: HttpRequest, result: PanSignIn, name: str) -> HttpResponse:
    login(request, result.user, backend=SESSION_BACKEND)
    if result.created:
        messages.success(request, f"Welcome to panlearn! Your account was created from your {name} identity.")
    elif result.linked_by_email:
        messages.success(request, f"Your {name} identity is now linked to your account (same verified email).")
    next_url = request.session.pop("oidc_login_next", None)
    return redirect(next_url or resolve_url("courses:my_courses"))


def _finish_link(request: HttpRequest, link_user_id: int, issuer: str, claims: dict, name: str) -> HttpResponse:
    if not request.user.is_authenticated or request.user.pk != link_user_id:
        messages.error(request, "Sign in to the account you want to link first.")
        return redirect("accounts:login")
    try:
        pan_identity_link(user=request.user, issuer=issuer, claims=claims)
    except PanIdentityRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Your {name} identity is linked: you can now sign in with it.")
    return redirect("accounts:account")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, with a budget per client address: each request can send a mail."""

    def post(self, request, *args, **kwargs):
        wait = throttle.take(throttle.PASSWORD_RESETS_PER_ADDRESS, throttle.client_address(request))
        if not wait:
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        message = f"Many resets were asked for from your network. Try again in {throttle.in_minutes(wait)}."
        _refuse_on_form(form, message)
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response
