"""A third-party LTI 1.3 platform on loopback, built from lti1p3platform: its message builders make the OIDC
login initiation and the signed launches, and a small HTTP server in the test process serves what a Moodle
serves the tool: the platform's JWKS, the token endpoint, an AGS line item's scores and an NRPS roster
(each answered by lti1p3platform's own handlers)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

CLIENT_ID = "panlearn-tool"
DEPLOYMENT_ID = "deployment-1"
TOOL = "http://testserver"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def rsa_pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()  # fmt: skip
    return private, public


class KeyedRegistration(Registration):
    """lti1p3platform's registration names its key by a fixed kid (jwcrypto's PEM import gives none)."""

    kid = "platform-key-1"

    def get_kid(self):
        return self.kid

    def get_jwks(self):
        return [{**Registration.get_jwk(self.get_platform_public_key()), "kid": self.kid}]


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, registration=None, **kwargs):
        self._registration = registration

    def get_registration_by_params(self, **kwargs):
        return self._registration


class DictRequest(Request):
    def build_metadata(self, request: dict):
        return {"method": request.get("method", "GET"), "form_data": request.get("form", {}),
                "get_data": request.get("query", {}), "headers": request.get("headers", {}),
                "content_type": request.get("content_type"), "path": request.get("path", "/"),
                "json": request.get("json")}  # fmt: skip


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url):
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data, **kwargs):
        return launch_data


@dataclass
class LoopbackPlatform:
    """The platform's state: its registration, what its endpoints received, and how they misbehave."""

    issuer: str = ""
    registration: KeyedRegistration = None
    scores: list = field(default_factory=list)
    token_requests: int = 0
    fail_scores: int = 0  # answer this many score posts with a 500 first
    members: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # (method, path, Authorization header) of every request
    server: ThreadingHTTPServer = None

    @property
    def conf(self) -> PlatformConf:
        return PlatformConf(registration=self.registration)

    def url(self, path: str) -> str:
        return f"{self.issuer}{path}"

    # -- the browser's side: login initiation and launch, through lti1p3platform's builders ---------------

    def login_initiation(self, *, user_id: str, hint: str = "resource") -> dict:
        """The query the platform sends the tool's login initiation URL."""
        login = Login(None, self.conf)
        login.set_lti_message_hint(hint=hint)
        return dict(parse_qsl(urlsplit(login.prepare_preflight_url(user_id)).query))

    def launch(self, auth_request: dict, *, sub: str, roles: list[str], custom: dict | None = None,
               context_id: str = "moodle-course-7", name: str = "Lise Meitner", email: str = "",
               lineitem: str = "", deep_linking: bool = False, expiration: int = 300,
               claims: dict | None = None) -> dict:  # fmt: skip
        """The id_token and state the platform posts to the tool's redirect URI, answering its auth request."""
        launch = Launch(DictRequest({"query": auth_request}), self.conf)
        launch.set_user_data(sub, roles, full_name=name, email_address=email or None)
        launch.set_launch_context_claim(context_id, context_title="Physics 101 (Moodle)")
        launch.set_resource_link_claim("link-1", title="panlearn")
        if custom:
            launch.set_custom_parameters_claim(custom)
        launch.set_ags(lineitems_url=self.url("/lineitems"), lineitem_url=lineitem or None)
        launch.set_nrps(context_memberships_url=self.url("/memberships"))
        if deep_linking:
            launch.set_dl(deep_link_return_url=self.url("/deep-link-return"), title="Pick content",
                          accept_types={"ltiResourceLink"})  # fmt: skip
        launch.set_id_token_expiration(expiration)
        if claims:
            launch.set_extra_claims(claims)
        data = launch.lti_launch()
        return {"id_token": data["id_token"], "state": data["state"]}


def _agsservice(platform: LoopbackPlatform):
    class Grades(AssignmentsGradesService):
        def find_lineitems(self, **kwargs):
            return {"content": [], "has_next": False, "next": None}

        def find_lineitem(self, line_item_id):
            return {"id": line_item_id}

        def create_lineitem(self, creation_data):
            return creation_data

        def update_lineitem(self, update_data):
            return update_data

        def delete_lineitem(self, line_item_id):
            return None

        def update_score(self, line_item_id, score):
            platform.scores.append({"line_item": line_item_id, **score})
            return UpdateScoreStatus.SUCCESS

        def get_results(self, line_item_id, **kwargs):
            return {"content": [], "has_next": False, "next": None}

    return Grades


def _nrpsservice(platform: LoopbackPlatform):
    class Roster(NamesRoleProvisioningService):
        def get_member_data_page(self, **kwargs):
            return {"content": [dict(member) for member in platform.members], "has_next": False, "next": None}

        def get_context_by_id(self):
            return Context(id="moodle-course-7", label="PHYS101", title="Physics 101 (Moodle)")

    return Roster


def start(tool_jwks) -> LoopbackPlatform:
    """Serve a platform on an ephemeral loopback port; `tool_jwks()` reads the tool's key set (its JWKS URL)."""
    platform = LoopbackPlatform()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, code: int, body, media_type: str = "application/json"):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _request(self, method: str) -> DictRequest:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            content_type = self.headers.get("Content-Type", "")
            parts = urlsplit(self.path)
            return DictRequest({
                "method": method, "path": parts.path, "query": dict(parse_qsl(parts.query)),
                "headers": {key: value for key, value in self.headers.items()}, "content_type": content_type,
                "form": dict(parse_qsl(raw)) if "form" in content_type else {},
                "json": json.loads(raw) if raw and "json" in content_type else None,
            })  # fmt: skip

        def _service(self, response):
            payload = response.result if response.code < 300 else {"error": response.message}
            if isinstance(payload, dict) and "content" in payload and "has_next" in payload:
                payload = payload["content"]
            self._answer(response.code, payload, response.media_type)

        def do_GET(self):
            request = self._request("GET")
            platform.requests.append(("GET", request.path, self.headers.get("Authorization")))
            if request.path == "/internal":  # an internal service's answer: not JSON, and secret
                data = b"internal-secret-9f3a"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                return self.wfile.write(data)
            if request.path == "/jwks":
                return self._answer(200, {"keys": platform.registration.get_jwks()})
            if request.path == "/memberships":
                service = _nrpsservice(platform)(request, platform.conf, platform.url("/memberships"))
                return self._service(service.handle_resp(service.handle_get_members))
            return self._answer(404, {"error": "not found"})

        def do_POST(self):
            request = self._request("POST")
            platform.requests.append(("POST", request.path, self.headers.get("Authorization")))
            if request.path == "/token-without-token":  # a token endpoint whose answer has no access_token
                return self._answer(200, {"token_type": "Bearer"})
            if request.path == "/token":
                platform.token_requests += 1
                platform.registration.set_tool_key_set(tool_jwks())
                conf = platform.conf
                try:
                    return self._answer(200, conf.get_access_token(request.form_data))
                except Exception as error:  # the platform refuses the assertion
                    return self._answer(400, {"error": "invalid_client", "error_description": str(error)})
            if request.path.startswith("/lineitems/") and request.path.endswith("/scores"):
                if platform.fail_scores:
                    platform.fail_scores -= 1
                    return self._answer(500, {"error": "the gradebook is down"})
                line_item_id = request.path.split("/")[2]
                service = _agsservice(platform)(request, platform.conf, platform.url("/lineitems"),
                                                platform.url(f"/lineitems/{line_item_id}"))  # fmt: skip
                return self._service(service.handle_resp(service.handle_update_score, line_item_id=line_item_id))
            return self._answer(404, {"error": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    platform.server = server
    platform.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    private, public = rsa_pem_pair()
    platform.registration = (
        KeyedRegistration()
        .set_iss(platform.issuer)
        .set_client_id(CLIENT_ID)
        .set_deployment_id(DEPLOYMENT_ID)
        .set_oidc_login_url(f"{TOOL}/lti/login/")
        .set_launch_url(f"{TOOL}/lti/launch/")
        .set_deeplink_launch_url(f"{TOOL}/lti/launch/")
        .set_platform_private_key(private)
        .set_platform_public_key(public)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return platform
