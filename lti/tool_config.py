"""pylti1p3's view of the registered platforms: a tool configuration read from the Platform table, and
a registration that signs with the tool's current key under its own kid."""

import hashlib
import re
import time
import uuid

from pylti1p3.contrib.django.service_connector import DjangoServiceConnector
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from .keys import signing_key
from .models import Platform
from .outbound import PlatformCallRefused, call_json, service_url_checked, url_checked


class PlatformRegistration(Registration):
    """Signs with the current ToolKey; its kid is the one the JWKS publishes (pylti1p3 would derive none)."""

    def __init__(self, platform: Platform):
        key = signing_key()
        self.platform = platform
        self.kid = key.kid
        self.set_issuer(platform.issuer).set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url).set_tool_private_key(key.private_key)

    def get_kid(self) -> str:
        return self.kid

    def get_jwks(self) -> list:
        return []  # the tool's key set is served by lti.views.jwks, for every platform at once


def platform_for(issuer: str | None, client_id: str | None) -> Platform | None:
    """The active registration of this issuer and client; without a client id, the issuer's only one."""
    if not issuer:
        return None
    platforms = Platform.objects.filter(issuer=issuer, is_active=True)
    if client_id:
        return platforms.filter(client_id=client_id).first()
    found = list(platforms[:2])
    return found[0] if len(found) == 1 else None


class PlatformToolConf(ToolConfAbstract):
    """Every issuer may have several client ids (several registrations of one LMS), so pylti1p3 always asks
    by issuer and client id."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        platform = platform_for(iss, None)
        return PlatformRegistration(platform) if platform else None

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = platform_for(iss, client_id)
        return PlatformRegistration(platform) if platform else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = platform_for(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_id_list():
            return None
        return Deployment().set_deployment_id(deployment_id)


class PlatformServiceConnector(DjangoServiceConnector):
    """Access tokens cached in Django's cache (shared by workers), per registration: pylti1p3 keys them by
    issuer and scopes only, and two registrations of one LMS have different client ids and rights."""

    def _get_cache_key(self, scope_key: str) -> str:
        client = hashlib.sha256(str(self._registration.get_client_id()).encode()).hexdigest()[:16]
        return f"lti1p3-access-token-{client}-{scope_key}"

    # pylti1p3 calls with plain requests (no timeout, redirects followed, any address) and follows any
    # `Link: rel=next`: here every call goes through lti.outbound, and the token only to the platform's host.

    def get_access_token(self, scopes) -> str:
        scope_key = self._scope_key(sorted(scopes))
        cached = self._get_cached_access_token(scope_key)
        if cached:
            return cached
        registration, now = self._registration, int(time.time())
        client_id, token_url = str(registration.get_client_id()), registration.get_auth_token_url()
        assertion = self.encode_jwt({
            "iss": client_id, "sub": client_id, "aud": registration.get_auth_audience() or token_url,
            "iat": now - 5, "exp": now + 60, "jti": f"lti-service-token-{uuid.uuid4()}",
        }, registration.get_tool_private_key(), {"kid": registration.get_kid()})  # fmt: skip
        _, body = call_json("POST", url_checked(token_url), data={
            "grant_type": "client_credentials", "scope": " ".join(sorted(scopes)), "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        })  # fmt: skip
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise PlatformCallRefused("The platform's token endpoint answered without an access token.")
        expires_in = body.get("expires_in")
        self._cache_access_token(scope_key, token, expires_in=expires_in if isinstance(expires_in, int) else 0)
        return token

    def make_service_request(self, scopes, url, *, is_post=False, data=None, content_type="application/json",
                             accept="application/json", case_insensitive_headers=False):  # fmt: skip
        service_url_checked(self._registration.platform, url)
        headers = {"Authorization": f"Bearer {self.get_access_token(scopes)}", "Accept": accept}
        if is_post:
            headers["Content-Type"] = content_type
        response_headers, body = call_json("POST" if is_post else "GET", url, headers=headers,
                                           content=data if is_post else None)  # fmt: skip
        match = re.search(r'<([^>]*)>;\s*rel="next"', response_headers.get("link", "").replace("\n", " "), re.I)
        # The next page gets the token too: make_service_request checks its host when it is fetched.
        return {"headers": dict(response_headers), "body": body, "next_page_url": match.group(1) if match else None}
