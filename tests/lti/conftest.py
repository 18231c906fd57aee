from urllib.parse import parse_qsl, urlsplit

import pytest

from lti.models import Platform
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, start


@pytest.fixture(autouse=True)
def allow_loopback_platforms(settings):
    """The loopback platform is http:// on 127.0.0.1: allowed here only, as the webhook tests do."""
    settings.PANLEARN_LTI_ALLOW_PRIVATE_PLATFORMS = True


@pytest.fixture
def lms(client, db):
    """The loopback platform, registered in panlearn as an operator would (its URLs in the Platform table)."""
    platform = registered(client, "Loopback Moodle")
    yield platform
    platform.server.shutdown()
    platform.server.server_close()


def registered(client, name: str):
    """A loopback platform started and registered under `name`."""
    # The tool's key set as its JWKS URL serves it, read here: the platform's thread must not query the test
    # database (it would wait on the test's open transaction).
    tool_key_set = client.get("/lti/jwks/").json()
    platform = start(lambda: tool_key_set)
    platform.record = Platform.objects.create(
        name=name, issuer=platform.issuer, client_id=CLIENT_ID,
        auth_login_url=platform.url("/auth"), auth_token_url=platform.url("/token"),
        key_set_url=platform.url("/jwks"), deployment_ids=f"other\n{DEPLOYMENT_ID}\n",
    )  # fmt: skip
    return platform


def authorize(client, lms, *, user_id: str = "moodle-user-42", hint: str = "resource") -> dict:
    """Login initiation at the tool; the tool's redirect to the platform's auth endpoint, as parameters."""
    response = client.post("/lti/login/", lms.login_initiation(user_id=user_id, hint=hint))
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == lms.url("/auth")
    return dict(parse_qsl(location.query))


@pytest.fixture
def launch(client, lms):
    """Login initiation then launch, as a browser in the LMS's iframe; the tool's response to the launch."""

    def run(*, sub="moodle-user-42", roles=None, **claims):
        from tests.lti.platform import LEARNER

        auth = authorize(client, lms, user_id=sub)
        form = lms.launch(auth, sub=sub, roles=roles or [LEARNER], **claims)
        response = client.post("/lti/launch/", form)
        response.form = form
        return response

    return run
