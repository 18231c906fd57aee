"""OpenID Connect sign-in through a PaN identity provider, on mozilla-django-oidc.

mozilla-django-oidc builds the authorization request (state, nonce and PKCE kept in the session) and
exchanges the code (token request, ID-token signature and nonce, userinfo). This module feeds it the
operator's settings, with endpoints from the provider's discovery document, and adds the checks it
leaves out: the ID token's issuer, audience and expiry, and that userinfo describes the same subject.
Which account an identity signs in to is decided in services.py, never here.
"""

import logging
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify, import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

logger = logging.getLogger(__name__)

CALLBACK_URL_NAME = "accounts:oidc_callback"
DISCOVERY_TTL = 3600.0
# An authorization request older than this is refused at the callback, whatever the provider says.
STATE_MAX_AGE = 15 * 60
# Claims of a sign-in whose email the provider did not verify, waiting for the person's choice (views).
PENDING_SESSION_KEY = "panlearn_oidc_pending"


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or does not describe the configured issuer."""


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    client_id: str
    client_secret: str
    scopes: str
    display_name: str
    sign_algo: str
    use_pkce: bool
    token_basic_auth: bool
    timeout: int


def oidc_enabled() -> bool:
    return bool(settings.PANLEARN_OIDC_CLIENT_ID) and bool(
        settings.PANLEARN_OIDC_ISSUER or settings.PANLEARN_OIDC_AUTHORIZATION_ENDPOINT
    )


def display_name() -> str:
    return settings.PANLEARN_OIDC_DISPLAY_NAME


_discovered: dict[str, tuple[float, dict]] = {}


def _discover(issuer: str, timeout: int) -> dict:
    cached = _discovered.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=timeout)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery at {issuer} failed: {exc}") from exc
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(f"the discovery document of {issuer} names issuer {document.get('issuer')!r}")
    _discovered[issuer] = (time.monotonic() + DISCOVERY_TTL, document)
    return document


def provider_config() -> ProviderConfig:
    """The provider as configured, endpoints not set explicitly taken from discovery (cached for an hour)."""
    if not oidc_enabled():
        raise ImproperlyConfigured("PaN identity sign-in is not configured (PANLEARN_OIDC_CLIENT_ID, _ISSUER).")
    issuer = settings.PANLEARN_OIDC_ISSUER.rstrip("/")
    endpoints = {
        "authorization_endpoint": settings.PANLEARN_OIDC_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.PANLEARN_OIDC_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.PANLEARN_OIDC_USERINFO_ENDPOINT,
        "jwks_uri": settings.PANLEARN_OIDC_JWKS_URI,
    }
    if issuer and not all(endpoints.values()):
        document = _discover(issuer, settings.PANLEARN_OIDC_TIMEOUT)
        endpoints = {name: value or str(document.get(name) or "") for name, value in endpoints.items()}
    for required in ("authorization_endpoint", "token_endpoint"):
        if not endpoints[required]:
            raise ImproperlyConfigured(f"PaN identity sign-in: no {required} (set PANLEARN_OIDC_ISSUER or it).")
    sign_algo = settings.PANLEARN_OIDC_SIGN_ALGO
    if sign_algo[:2] in ("RS", "ES", "PS") and not endpoints["jwks_uri"]:
        raise ImproperlyConfigured(f"PaN identity sign-in: {sign_algo} needs the provider's JWKS URI.")
    return ProviderConfig(
        issuer=issuer,
        client_id=settings.PANLEARN_OIDC_CLIENT_ID,
        client_secret=settings.PANLEARN_OIDC_CLIENT_SECRET,
        scopes=settings.PANLEARN_OIDC_SCOPES,
        display_name=settings.PANLEARN_OIDC_DISPLAY_NAME,
        sign_algo=sign_algo,
        use_pkce=settings.PANLEARN_OIDC_USE_PKCE,
        token_basic_auth=settings.PANLEARN_OIDC_TOKEN_USE_BASIC_AUTH,
        timeout=settings.PANLEARN_OIDC_TIMEOUT,
        **endpoints,
    )


def _library_setting(config: ProviderConfig, attr: str, *default):
    """mozilla-django-oidc's settings, answered from panlearn's; anything else from Django's settings."""
    answers = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": config.authorization_endpoint,
        "OIDC_OP_TOKEN_ENDPOINT": config.token_endpoint,
        "OIDC_OP_USER_ENDPOINT": config.userinfo_endpoint,
        "OIDC_OP_JWKS_ENDPOINT": config.jwks_uri or None,
        "OIDC_RP_CLIENT_ID": config.client_id,
        "OIDC_RP_CLIENT_SECRET": config.client_secret,
        "OIDC_RP_SIGN_ALGO": config.sign_algo,
        "OIDC_RP_IDP_SIGN_KEY": None,
        "OIDC_RP_SCOPES": config.scopes,
        "OIDC_USE_PKCE": config.use_pkce,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_USE_NONCE": True,
        "OIDC_TOKEN_USE_BASIC_AUTH": config.token_basic_auth,
        "OIDC_TIMEOUT": config.timeout,
        "OIDC_VERIFY_SSL": True,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK_URL_NAME,
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {},
    }
    if attr in answers:
        return answers[attr]
    return import_from_settings(attr, *default)


class AuthorizationRequestView(OIDCAuthenticationRequestView):
    """Redirects to the provider with a fresh state, nonce and PKCE challenge (the library's view, our settings)."""

    def __init__(self, *, config: ProviderConfig, **kwargs):
        View.__init__(self, **kwargs)  # the library's __init__ reads its settings eagerly
        self.config = config
        self.OIDC_OP_AUTH_ENDPOINT = config.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = config.client_id

    def get_settings(self, attr, *default):
        return _library_setting(self.config, attr, *default)


def authorization_redirect(request: HttpRequest, config: ProviderConfig) -> tuple[HttpResponseRedirect, str]:
    """The redirect to the provider, and the state it carries (the key of its entry in session["oidc_states"])."""
    view = AuthorizationRequestView(config=config)
    view.setup(request)
    response = view.get(request)
    state = parse_qs(urlsplit(response.url).query)["state"][0]
    return response, state


class CodeExchange(OIDCAuthenticationBackend):
    """Turns an authorization code into verified claims. Not an authentication backend: the callback calls it."""

    def __init__(self, config: ProviderConfig):
        self.config = config
        super().__init__()

    def get_settings(self, attr, *default):
        return _library_setting(self.config, attr, *default)

    def authenticate(self, request, **kwargs):  # never used as a backend
        return None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)  # signature, algorithm, expiry (if present), nonce
        if "nonce" in kwargs:  # the ID token, not a signed userinfo answer
            self._check_id_token(payload)
        return payload

    def _check_id_token(self, payload: dict) -> None:
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.config.client_id not in audiences:
            raise SuspiciousOperation("ID token was issued to another client")
        if len(audiences) > 1 and payload.get("azp") != self.config.client_id:
            raise SuspiciousOperation("ID token has several audiences and another authorized party")
        if self.config.issuer and str(payload.get("iss", "")).rstrip("/") != self.config.issuer:
            raise SuspiciousOperation("ID token comes from another issuer")
        if not payload.get("iss") or not payload.get("sub") or "exp" not in payload:
            raise SuspiciousOperation("ID token lacks iss, sub or exp")

    def claims_for_code(self, request: HttpRequest, *, code: str, nonce: str, code_verifier: str | None) -> dict:
        """Verified claims: the ID token's, completed by userinfo for the same subject."""
        self.request = request
        payload = {
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": absolutify(request, reverse(CALLBACK_URL_NAME)),
        }
        if code_verifier is not None:
            payload["code_verifier"] = code_verifier
        tokens = self.get_token(payload)
        if not tokens.get("id_token"):
            raise SuspiciousOperation("the token response has no ID token")
        claims = self.verify_token(tokens["id_token"], nonce=nonce)
        if self.config.userinfo_endpoint and tokens.get("access_token"):
            userinfo = self.get_userinfo(tokens["access_token"], tokens["id_token"], claims)
            if userinfo.get("sub") != claims["sub"]:
                raise SuspiciousOperation("userinfo describes another subject than the ID token")
            claims = {**userinfo, **claims}
        return claims
