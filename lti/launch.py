"""The OIDC login and the launch, through pylti1p3: state and nonce checks, the platform's signature,
audience, expiry and deployment. A nonce is spent by the launch that used it, so a replayed id_token is
refused even from the browser that made the login. Login state, nonces and launch data live in pylti1p3's
cache storage (under its own SameSite=None cookie), so panlearn's session cookie is never relaxed for them."""

import hashlib
import logging

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.contrib.django.session import DjangoSessionService
from pylti1p3.exception import (
    LtiException,
    LtiInvalidNonceException,
    LtiKeyException,
    LtiMessageValidationException,
    OIDCException,
)

from .claims import AGS_ENDPOINT, LTI, NRPS, Launch, launch_from
from .exceptions import LaunchRefused
from .models import Platform
from .outbound import PlatformCallRefused, call_json
from .tool_config import PlatformServiceConnector, PlatformToolConf

logger = logging.getLogger(__name__)
KEY_SET_CACHE_SECONDS = 300  # brief: a platform's rotated key is picked up within minutes


class SpentNonceSessionService(DjangoSessionService):
    """pylti1p3 keeps a nonce after its launch; here a launch spends it."""

    def check_nonce(self, nonce: str) -> bool:
        key = self._get_key("nonce", nonce)
        if not self.data_storage.check_value(key):
            return False
        self.data_storage.set_value(key, None, 1)  # the cache storage has no delete; None reads as absent
        return True


def _claims_malformed(header, body) -> str:
    """Why the token's header or claims do not have the types the LTI spec gives them ('' if they do)."""
    if not isinstance(header, dict) or not isinstance(body, dict):
        return "the token is not a JSON object"
    aud = body.get("aud")
    if not (isinstance(aud, str) and aud) and not (isinstance(aud, list) and aud and all(
            isinstance(entry, str) and entry for entry in aud)):  # fmt: skip
        return "aud"
    for name in ("iss", "nonce", "sub", "azp", f"{LTI}deployment_id", f"{LTI}message_type"):
        if name in body and not isinstance(body[name], str):
            return name
    for name in (f"{LTI}context", f"{LTI}custom", AGS_ENDPOINT, NRPS, f"{LTI}resource_link"):
        if name in body and not isinstance(body[name], dict):
            return name
    if f"{LTI}roles" in body and not isinstance(body[f"{LTI}roles"], list):
        return "roles"
    return ""


class ToolMessageLaunch(DjangoMessageLaunch):
    """pylti1p3's launch, stricter: claims type-checked, exp and iat required, azp tied to the verified
    registration, and the platform's key set fetched through lti.outbound."""

    def __init__(self, *args, **kwargs):
        kwargs["service_connector_cls"] = PlatformServiceConnector
        super().__init__(*args, **kwargs)
        self.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})

    def validate_jwt_format(self):
        super().validate_jwt_format()
        reason = _claims_malformed(self._jwt.get("header"), self._jwt.get("body"))
        if reason:
            raise LtiMessageValidationException(f"The launch is malformed ({reason}).")
        return self

    def validate_registration(self):
        super().validate_registration()
        body = self._get_jwt_body()
        aud, azp = body.get("aud"), body.get("azp")
        # The registration (and so the key that verifies the token) is aud[0]'s: another client id in azp,
        # or several audiences without one, must not pick a different platform's account.
        if isinstance(aud, list) and len(aud) > 1 and not azp:
            raise LtiMessageValidationException("Client id not registered: several audiences and no azp.")
        if azp is not None and azp != self._registration.get_client_id():
            raise LtiMessageValidationException("Client id not registered: azp is not the verified client.")
        return self

    def fetch_public_key(self, key_set_url: str) -> dict:
        cache_key = f"lti-key-set-{hashlib.sha256(key_set_url.encode()).hexdigest()}"
        key_set = cache.get(cache_key)
        if key_set is not None:
            return key_set
        try:
            _, key_set = call_json("GET", key_set_url, headers={"Accept": "application/json"})
        except PlatformCallRefused as error:
            raise LtiKeyException(str(error)) from None
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list) or not all(
                isinstance(key, dict) for key in key_set["keys"]):  # fmt: skip
            logger.warning("LTI key set %s is not a JWKS", key_set_url)
            raise LtiKeyException("The platform's key set is not a JWKS.")
        cache.set(cache_key, key_set, KEY_SET_CACHE_SECONDS)
        return key_set


def _explained(error: Exception) -> LaunchRefused:
    if isinstance(error, LtiInvalidNonceException):
        return LaunchRefused("This launch was already used, or its login expired. Open the activity again from "
                             "your LMS course.")  # fmt: skip
    if isinstance(error, LtiKeyException):
        logger.warning("LTI launch: platform key problem: %s", error)
        return LaunchRefused("The platform's signing key could not be fetched or read. The LMS administrator "
                             "should check the platform's key set URL.")  # fmt: skip
    text = str(error)
    if "Registration not found" in text or "Client id not registered" in text or "registration details" in text:
        return LaunchRefused("This LMS (issuer and client ID) is not registered with panlearn.", status=403)
    if "deployment ID" in text:
        return LaunchRefused(f"This LMS deployment is not registered with panlearn. {text}", status=403)
    return LaunchRefused(f"The launch could not be verified: {text}")


def _storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage()


def oidc_login(request: HttpRequest, *, launch_url: str) -> HttpResponse:
    """Answer the platform's login initiation with a redirect to its authorization endpoint."""
    try:
        login = DjangoOIDCLogin(request, PlatformToolConf(), session_service=SpentNonceSessionService(request),
                                launch_data_storage=_storage())  # fmt: skip
        return login.redirect(launch_url)
    except (OIDCException, LtiException) as error:
        raise _explained(error) from error


def message_launch(request: HttpRequest) -> ToolMessageLaunch:
    try:
        return ToolMessageLaunch(request, PlatformToolConf(), session_service=SpentNonceSessionService(request),
                                 launch_data_storage=_storage())  # fmt: skip
    except LtiException as error:  # pylti1p3's own cookie is missing: not the browser of the login
        raise LaunchRefused("The LMS launch expired or came to another browser. Open the activity again.") from error


def restored_launch(request: HttpRequest, launch_id: str) -> ToolMessageLaunch:
    """A launch verified earlier (deep linking, the account choice), from pylti1p3's storage."""
    tool_launch = message_launch(request)
    try:
        return ToolMessageLaunch.from_cache(launch_id, request, tool_launch.get_tool_conf(),
                                            session_service=SpentNonceSessionService(request),
                                            launch_data_storage=_storage())  # fmt: skip
    except LtiException as error:
        raise LaunchRefused("The LMS launch expired. Open the activity again.") from error


def verified_launch(request: HttpRequest) -> tuple[ToolMessageLaunch, Launch, Platform]:
    """The launch, verified, read, and the platform whose registration verified it; LaunchRefused otherwise."""
    launch = message_launch(request)
    try:
        body = launch.get_launch_data()
    except (OIDCException, LtiException) as error:
        raise _explained(error) from error
    except (TypeError, ValueError, AttributeError, IndexError, KeyError) as error:  # a shape not checked above
        raise LaunchRefused("The launch is malformed.") from error
    platform = launch._registration.platform  # the registration whose key verified the signature
    read = launch_from(body)
    if not read.subject:
        raise LaunchRefused("The LMS sent an anonymous launch; panlearn needs to know who is learning.")
    if len(read.subject) > 255 or len(read.context_id) > 255:  # the columns' size: refused, not truncated
        raise LaunchRefused("The launch's user or course ID is longer than panlearn accepts (255 characters).")
    return launch, read, platform
