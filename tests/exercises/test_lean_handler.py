"""The code-cell endpoints' own ASGI handler (panlearn/asgi.py) keeps the site's protections."""

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from cells.models import CellDraft
from courses.models import LessonPage
from panlearn.asgi import CELLS_PREFIX, application
from tests.exercises.conftest import cells_body
from tests.factories import LessonPageFactory, trainer_of

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def signed_in_cookie(learner):
    client = Client()
    client.force_login(learner)
    return client.cookies["sessionid"].value


async def test_posts_without_the_csrf_token_are_refused(cell_lesson, signed_in_cookie, runner_settings):
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.cookies.set("sessionid", signed_in_cookie)
        url = f"{CELLS_PREFIX}{cell_lesson.pk}/"
        for path in ("run", "restart", "interrupt", "drafts/cell-a"):
            response = await client.post(url + path, json={"cell_id": "cell-a", "code": "1", "base_version": 0})
            assert response.status_code == 403, path
            assert "CSRF" in response.text
        client.cookies.set("csrftoken", "a" * 32)
        saved = await client.post(url + "drafts/cell-a", json={"code": "x = 1", "base_version": 0},
                                  headers={"X-CSRFToken": "a" * 32})  # fmt: skip
        assert saved.status_code == 200 and saved.json()["version"] == 1
        # The site's security headers, from the same middleware (subclassed) as every other page.
        assert saved.headers["X-Content-Type-Options"] == "nosniff"
        assert saved.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
        assert "Cookie" in saved.headers.get("Vary", "")
    assert await sync_to_async(CellDraft.objects.count)() == 1


async def test_everything_else_goes_to_the_site_handler(cell_lesson):
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/datasets/")
    assert response.status_code == 200 and "Datasets" in response.text


async def test_a_password_alone_opens_no_draft_through_the_cells_handler(catalogue, course, settings):
    """The admin asks an editor for the second factor; the cells endpoints, served by their own handler
    outside the admin, gave the same editor a lesson's unpublished drafts on a password alone (review of
    2026-12-06). An editor whose session is not verified is nobody special there either."""
    settings.PANLEARN_STAFF_MFA = True

    def set_up():
        draft = LessonPageFactory(parent=course, title="Unreleased exam prep", slug="exam", body=cells_body())
        LessonPage.objects.filter(pk=draft.pk).update(live=False)
        trainer = trainer_of(catalogue, "trainer-mfa", course)
        device = TOTPDevice.objects.create(user=trainer, name="Authenticator app", confirmed=True)
        client = Client()
        client.force_login(trainer)  # the password: the session is not verified
        return draft, device, client

    draft, device, site_client = await sync_to_async(set_up)()
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.cookies.set("sessionid", site_client.cookies["sessionid"].value)
        refused = await client.get(f"{CELLS_PREFIX}{draft.pk}/drafts")
        assert refused.status_code in (403, 404), refused.text

        def verify():
            session = site_client.session
            session["otp_device_id"] = device.persistent_id  # as the code page leaves it
            session.save()

        await sync_to_async(verify)()
        opened = await client.get(f"{CELLS_PREFIX}{draft.pk}/drafts")
        assert opened.status_code == 200, opened.text
