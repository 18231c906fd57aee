"""The OIDC login and the launch, through pylti1p3: state and nonce checks, the platform's signature,
audience, expiry and deployment. A nonce is spent by the launch that used it, so a replayed id_token is
refused even from the browser that made the login."""

from django.http import HttpRequest, HttpResponse
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.session import DjangoSessionService
from pylti1p3.exception import LtiException, LtiInvalidNonceException, LtiKeyException, OIDCException

from .claims import Launch, launch_from
from .exceptions import LaunchRefused
from .models import Platform
from .tool_config import PlatformToolConf, platform_for


class SpentNonceSessionService(DjangoSessionService):
    """pylti1p3 keeps a nonce in the session after its launch; here a launch spends it."""

    def check_nonce(self, nonce: str) -> bool:
        key = self._get_key("nonce", nonce)
        if not self.data_storage.check_value(key):
            return False
        del self.data_storage._request.session[key]
        return True


def _explained(error: Exception) -> LaunchRefused:
    if isinstance(error, LtiInvalidNonceException):
        return LaunchRefused("This launch was already used, or its login expired. Open the activity again from "
                             "your LMS course.")  # fmt: skip
    if isinstance(error, LtiKeyException):
        return LaunchRefused(f"The platform's signing key could not be found or read: {error}")
    text = str(error)
    if "Registration not found" in text or "Client id not registered" in text or "registration details" in text:
        return LaunchRefused("This LMS (issuer and client ID) is not registered with panlearn.", status=403)
    if "deployment ID" in text:
        return LaunchRefused(f"This LMS deployment is not registered with panlearn. {text}", status=403)
    return LaunchRefused(f"The launch could not be verified: {text}")


def oidc_login(request: HttpRequest, *, launch_url: str) -> HttpResponse:
    """Answer the platform's login initiation with a redirect to its authorization endpoint."""
    try:
        login = DjangoOIDCLogin(request, PlatformToolConf(), session_service=SpentNonceSessionService(request))
        return login.redirect(launch_url)
    except (OIDCException, LtiException) as error:
        raise _explained(error) from error


def message_launch(request: HttpRequest) -> DjangoMessageLaunch:
    return DjangoMessageLaunch(request, PlatformToolConf(), session_service=SpentNonceSessionService(request))


def verified_launch(request: HttpRequest) -> tuple[DjangoMessageLaunch, Launch, Platform]:
    """The launch, verified, read, and its platform; LaunchRefused otherwise."""
    launch = message_launch(request)
    try:
        body = launch.get_launch_data()
    except (OIDCException, LtiException) as error:
        raise _explained(error) from error
    client_id = body.get("aud")[0] if isinstance(body.get("aud"), list) else body.get("aud")
    platform = platform_for(body.get("iss"), body.get("azp") or client_id)
    if platform is None:  # deactivated between the checks
        raise LaunchRefused("This LMS is not registered with panlearn.", status=403)
    read = launch_from(body)
    if not read.subject:
        raise LaunchRefused("The LMS sent an anonymous launch; panlearn needs to know who is learning.")
    return launch, read, platform
