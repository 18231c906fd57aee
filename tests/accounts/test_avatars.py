"""Admin avatars are drawn from initials: no admin page asks gravatar.com (or anyone) for one."""

from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.users.models import UserProfile

from accounts.avatars import initials_avatar_url, initials_of
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("first", "last", "username", "expected"),
    [
        ("Ada", "Lovelace", "ada", "AL"),
        ("Demo Facility Staff", "", "facility", "DS"),
        ("", "", "trainer", "T"),
        ("", "", "", "?"),
        ("Émilie", "du Châtelet", "emilie", "ÉC"),
    ],
)
def test_initials_come_from_the_names_then_the_username(first, last, username, expected):
    user = UserFactory.build(first_name=first, last_name=last, username=username)
    assert initials_of(user) == expected


def test_the_avatar_is_an_inline_svg_with_the_initials():
    url = initials_avatar_url(UserFactory.build(first_name="Ada", last_name="Lovelace", username="ada"))
    assert url.startswith("data:image/svg+xml,")
    svg = unquote(url.removeprefix("data:image/svg+xml,"))
    assert ">AL</text>" in svg
    assert "#" not in url  # a fragment marker would cut the data URL short


@pytest.mark.django_db
def test_admin_pages_show_initials_and_never_ask_gravatar(client):
    admin = UserFactory(username="root", first_name="Grace", last_name="Hopper", is_superuser=True, is_staff=True)
    client.force_login(admin)
    for url in ("/admin/", "/admin/account/", "/admin/users/"):
        html = client.get(url).content.decode()
        assert "gravatar" not in html.lower(), url
        assert "data:image/svg+xml," in html, url


@pytest.mark.django_db
def test_an_uploaded_avatar_still_wins(client):
    admin = UserFactory(username="root", first_name="Grace", is_superuser=True, is_staff=True)
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    profile = UserProfile.get_for_user(admin)
    profile.avatar = SimpleUploadedFile("me.png", png, content_type="image/png")
    profile.save()
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert profile.avatar.url in html
