"""Issue 9's browser test, through the real UI: facility staff upload a CSV of three users and confirm;
one of them follows the emailed one-time link, chooses a password, signs in, passes the programme's
final quiz and downloads the certificate; the public verification page says valid, and once the
clock has moved past the pass's expiry it says expired.

The live server runs in this process, so the invitation email is read from `mail.outbox` and the
clock is moved by patching `django.utils.timezone.now` (what the verification page reads)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from onboarding import services as onboarding
from onboarding.models import ProgrammeCompletion
from tests.factories import FacilityFactory, UserFactory
from tests.onboarding.conftest import make_course, make_quiz

# A transactional test flushes the database, Wagtail's root page included: serialized_rollback restores it.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

STAFF_PASSWORD = "correct horse battery staple"  # UserFactory's
INVITEE = "otto.hahn@example.org"
INVITEE_PASSWORD = "fission-1938-uranium-barium"


@pytest.fixture
def facility_world(live_server, settings, catalogue):
    """A facility whose "General safety" programme (everyone, 80 % on a five-question final quiz,
    valid 12 months) needs the "Safety induction" course; a member of its user office."""
    # The links in emails and the certificate's QR code point at the live server.
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    facility = FacilityFactory(short_name="PDS", name="PaN Demo Source")
    quiz = make_quiz("Safety quiz")
    course = make_course(catalogue, "Safety induction", quiz, lessons=1)
    programme = onboarding.programme_create(
        facility=facility, name="General safety", courses=[(course, quiz, 80)], validity_months=12,
        requirements=[{"role": "", "instrument": "", "experiment_type": ""}],
    )  # fmt: skip
    staff = UserFactory(username="office", email="office@pds.example", first_name="User", last_name="Office")
    onboarding.facility_staff_add(facility=facility, user=staff)
    return {"facility": facility, "programme": programme, "staff": staff}


def upload_three_users(page, tmp_path, staff) -> None:
    start = (timezone.localdate() + timedelta(days=60)).isoformat()
    csv_file = tmp_path / "beamtime-mx-2031.csv"
    csv_file.write_text(
        "email,name,proposal,start_date,role,instrument\n"
        f"lise.meitner@example.org,Lise Meitner,MX-2031,{start},PI,D22\n"
        f"{INVITEE},Otto Hahn,MX-2031,{start},experimenter,D22\n"
        f"fritz.strassmann@example.org,Fritz Strassmann,MX-2031,{start},remote,D22\n",
        encoding="utf-8",
    )
    page.goto("/admin/login/?next=/admin/invitations/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Upload a CSV").click()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()

    # The report: every row valid, nothing imported yet.
    expect(page.locator("#batch-counts")).to_have_text("3 row(s): 3 valid, 0 with errors.")
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(3)
    for email in ("lise.meitner@example.org", INVITEE, "fritz.strassmann@example.org"):
        expect(rows.filter(has_text=email)).to_contain_text("new account")
    page.get_by_role("button", name="Import 3 valid row(s)").click()
    # The test settings run tasks at once: the import and its emails are done when the page is back.
    expect(page.locator("#batch")).to_have_attribute("data-status", "imported")
    expect(page.locator("#batch-counts")).to_contain_text("3 imported")


def invitation_link(outbox, email: str) -> str:
    assert sorted(message.to[0] for message in outbox) == sorted(
        ["lise.meitner@example.org", INVITEE, "fritz.strassmann@example.org"]
    )  # one email each, nothing else
    message = next(message for message in outbox if message.to == [email])
    assert "General safety" in message.body
    return re.search(r"^(http://\S+/invitations/[\w-]+/)$", message.body, re.MULTILINE).group(1)


def test_staff_invite_three_users_one_passes_and_the_certificate_verifies_then_expires(
    browser, page, live_server, facility_world, mailoutbox, monkeypatch, tmp_path
):
    # 1. Facility staff upload a CSV of three users, read the report and confirm.
    upload_three_users(page, tmp_path, facility_world["staff"])
    link = invitation_link(mailoutbox, INVITEE)
    assert link.startswith(live_server.url)

    # 2. The invitee follows the one-time link in a browser of their own.
    invitee = browser.new_context(base_url=live_server.url, accept_downloads=True)
    learner = invitee.new_page()
    learner.set_default_timeout(15_000)
    errors = []
    learner.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    learner.on("dialog", lambda dialog: dialog.accept())
    learner.goto(link)
    expect(learner.get_by_role("heading", level=1)).to_have_text("Your invitation from PaN Demo Source")
    expect(learner.locator("main")).to_contain_text("MX-2031")
    learner.get_by_role("button", name="Accept and choose a password").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text("Choose a password")
    learner.get_by_label(re.compile("^New password:?$")).fill(INVITEE_PASSWORD)
    learner.get_by_label(re.compile("^New password confirmation")).fill(INVITEE_PASSWORD)
    learner.get_by_role("button", name="Save password").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text("Ready for your experiment?")

    # ... signs out, and back in with the email and the new password (the link is spent).
    learner.get_by_role("button", name=re.compile("^Sign out")).click()
    learner.goto(link)
    expect(learner.locator("#invitation-problem")).to_contain_text("already been used")
    learner.locator("main").get_by_role("link", name="Sign in").click()
    learner.get_by_label("Username").fill(INVITEE)
    learner.get_by_label("Password").fill(INVITEE_PASSWORD)
    learner.get_by_role("button", name="Sign in").click()
    learner.get_by_role("link", name="Beamtime readiness").click()
    checklist = learner.locator(".checklist")
    expect(checklist).to_contain_text("MX-2031")
    expect(checklist.get_by_test_id("not-ready")).to_be_visible()

    # ... goes through the course to its quiz, answers every question right and sees the score.
    checklist.get_by_role("link", name="Continue: Safety induction 1").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text("Safety induction 1")
    learner.get_by_role("button", name="Mark lesson as done").click()
    expect(learner.get_by_text("You marked this lesson done.")).to_be_visible()
    learner.get_by_role("navigation", name="Lessons").get_by_role("link", name="Safety induction quiz").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text("Safety induction quiz")
    exercise = learner.locator("[data-exercise]")
    expect(exercise).to_have_class(re.compile("exercise--live"))
    questions = exercise.locator(".exercise-question")
    expect(questions).to_have_count(5)
    for number in range(5):
        questions.nth(number).get_by_label("Right", exact=True).check()
    exercise.get_by_role("button", name="Submit answers").click()
    expect(exercise.locator(".exercise-result")).to_contain_text("5 of 5 points")

    # The pass is recorded: the checklist says ready.
    learner.get_by_role("link", name="Beamtime readiness").click()
    expect(learner.locator(".checklist").get_by_test_id("ready")).to_be_visible()
    completion = ProgrammeCompletion.objects.get(user__email=INVITEE, programme=facility_world["programme"])
    until = f"{timezone.localtime(completion.valid_until):%-d %B %Y}"  # as the pages write it

    # ... and downloads the certificate from their list.
    learner.get_by_role("link", name="My certificates").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text("My certificates")
    row = learner.locator("tbody tr").filter(has_text="General safety")
    expect(row.locator("td").nth(4)).to_have_text("Valid")  # the status column
    public_id = completion.certificate.public_id
    with learner.expect_download() as download_info:
        row.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"certificate-{public_id}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    verify_href = row.get_by_role("link", name="Verification page").get_attribute("href")
    assert verify_href == f"/verify/{public_id}/"
    assert not errors, errors
    invitee.close()

    # 3. Anyone (no account) opens the public verification page: valid.
    stranger = browser.new_context(base_url=live_server.url)
    verifier = stranger.new_page()
    verifier.set_default_timeout(15_000)
    verifier.goto(verify_href)
    verdict = verifier.locator(".certificate-verification")
    expect(verdict.get_by_role("heading", level=2)).to_have_text("Valid")
    expect(verdict).to_contain_text("Otto Hahn passed General safety of PaN Demo Source")
    expect(verdict).to_contain_text(f"valid until {until}")
    expect(verdict).not_to_contain_text(INVITEE)  # no personal data beyond the name

    # 4. The clock moves past the expiry (a year and a day on): the same page now says expired.
    later = completion.valid_until + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    verifier.reload()
    expect(verdict.get_by_role("heading", level=2)).to_have_text("Expired")
    expect(verdict).to_contain_text(f"was valid until {until} and has expired")
    stranger.close()
