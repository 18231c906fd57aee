"""Email addresses count only once confirmed (review of 2026-12-04, finding 2: sign-up took anyone's address,
and that address then matched invitations, a facility's bulk rows, an identity and the user-office export)."""

import re

import pytest
from django.core import signing
from django.urls import reverse

from accounts import services
from accounts.models import ConfirmedEmail
from accounts.selectors import email_is_confirmed
from courses import services as courses
from courses.exceptions import CourseNotAvailable
from courses.models import Enrolment
from onboarding import services as onboarding
from tests.factories import CoursePageFactory, FacilityFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "neutron-star-42"


def sign_up(client, username: str, email: str):
    return client.post(reverse("accounts:sign_up"), {"username": username, "email": email, "password1": PASSWORD,
                                                     "password2": PASSWORD})  # fmt: skip


def link_in(message) -> str:
    return re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", message.body).group(1)


def test_sign_up_sends_a_link_that_confirms_on_post_only(client, mailoutbox):
    assert sign_up(client, "ada", "Ada@Example.org").status_code == 302
    ada = services.User.objects.get(username="ada")
    assert not email_is_confirmed(ada)
    (message,) = mailoutbox
    assert message.to == ["ada@example.org"] and "confirm" in message.subject.lower()
    link = link_in(message)
    page = client.get(link)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and "Confirm my address" in page.text and not email_is_confirmed(ada)
    done = client.post(link, follow=True)
    assert "is confirmed" in done.text and email_is_confirmed(ada)
    assert ConfirmedEmail.objects.get(user=ada).how == ConfirmedEmail.LINK
    assert "confirmed" in client.get(reverse("accounts:account")).text


def test_the_mailbox_owner_cannot_confirm_the_address_for_a_squatters_account(client, mailoutbox):
    """Mallory signs up with Alice's address; Alice gets the link. Opening it (signed out, or signed in as
    herself) must not hand her address to Mallory's account (review of 2026-12-05)."""
    sign_up(client, "mallory", "alice@example.org")
    client.logout()
    link = link_in(mailoutbox[0])
    assert client.post(link).status_code == 302  # signed out: to the sign-in page, nothing confirmed
    alice = UserFactory(username="alice", email="alice@example.org", confirmed=False)
    client.force_login(alice)
    page = client.get(link)
    assert page.status_code == 400 and "another panlearn account" in page.text
    assert client.post(link).status_code == 400
    assert not ConfirmedEmail.objects.exists()


def test_a_forged_expired_or_outdated_link_confirms_nothing(client, mailoutbox):
    sign_up(client, "ada", "ada@example.org")
    ada = services.User.objects.get(username="ada")
    good = link_in(mailoutbox[0])
    forged = signing.dumps({"user": ada.pk, "email": "ada@example.org"}, salt="another purpose")
    bad = client.post(reverse("accounts:email_confirm", args=[forged]))
    assert bad.status_code == 400 and "not valid" in bad.text
    ada.email = "ada@elsewhere.org"  # the address changed after the link was sent
    ada.save()
    outdated = client.post(good)
    assert outdated.status_code == 400 and "no longer uses" in outdated.text
    assert not ConfirmedEmail.objects.exists()


def test_expired_links_are_refused(client, mailoutbox, settings):
    sign_up(client, "ada", "ada@example.org")
    link = link_in(mailoutbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "CONFIRMATION_DAYS", -1)
        with pytest.raises(services.EmailNotConfirmed, match="expired"):
            services.email_confirm_by_token(token, user=services.User.objects.get(username="ada"))


def test_the_account_page_sends_the_link_again_within_a_budget(client, mailoutbox, settings):
    settings.PANLEARN_EMAIL_CONFIRMATIONS_PER_ACCOUNT_PER_HOUR = 1
    sign_up(client, "ada", "ada@example.org")
    assert "not confirmed" in client.get(reverse("accounts:account")).text
    again = client.post(reverse("accounts:email_confirmation_resend"), follow=True)
    assert "We sent a new link" in again.text and len(mailoutbox) == 2
    refused = client.post(reverse("accounts:email_confirmation_resend"), follow=True)
    assert "Try again in" in refused.text and len(mailoutbox) == 2


def test_an_invitation_reaches_only_a_confirmed_address(client, catalogue, mailoutbox):
    course = CoursePageFactory(parent=catalogue, enrolment_policy="invitation")
    courses.invitation_create(course=course, email="alice@example.org")
    sign_up(client, "mallory", "alice@example.org")  # someone else's address
    mallory = services.User.objects.get(username="mallory")
    with pytest.raises(CourseNotAvailable, match="invitation only"):
        courses.enrolment_create(user=mallory, course=course)
    assert not Enrolment.objects.exists()
    alice = UserFactory(username="alice", email="alice@example.org", confirmed=False)
    services.email_confirm(user=alice, how=ConfirmedEmail.LINK)  # Alice opened the link in her mailbox
    courses.enrolment_create(user=alice, course=course)
    assert Enrolment.objects.get().user == alice


def test_the_user_office_sees_only_confirmed_addresses(catalogue):
    from django.utils import timezone

    from onboarding.models import ProgrammeCompletion
    from tests.onboarding.conftest import answer, make_course, make_quiz
    from useroffice.selectors import ExportFilters, export_all

    quiz = make_quiz("Safety")
    course = make_course(catalogue, "Safety", quiz)
    facility = FacilityFactory()
    onboarding.programme_create(facility=facility, name="Safety", courses=[(course, quiz, 80)])
    squatter = UserFactory(username="mallory", email="alice@example.org", confirmed=False)
    confirmed = UserFactory(username="bob", email="bob@example.org")
    for user in (squatter, confirmed):
        courses.enrolment_create(user=user, course=course)
        answer(user, quiz, right=5, course=course)
    assert ProgrammeCompletion.objects.count() == 2
    filters = ExportFilters(facility_ids=frozenset([facility.pk]))
    rows = {row.username: row.email for row in export_all(filters, now=timezone.now())}
    assert rows == {"mallory": "", "bob": "bob@example.org"}
