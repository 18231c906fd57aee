"""The code-cell endpoints' own ASGI handler (panlearn/asgi.py) keeps the site's protections."""

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from cells.models import CellDraft
from panlearn.asgi import CELLS_PREFIX, application

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
