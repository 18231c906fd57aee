"""Facility staff manage their own facility's onboarding in the admin, and nothing of another's."""

from datetime import date

import pytest
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from facilities.models import FacilityStaff
from onboarding import services
from onboarding.models import Experiment, Participant, Programme, ProgrammeCompletion
from tests.factories import FacilityFactory, UserFactory
from tests.onboarding.conftest import answer, make_course, make_quiz

pytestmark = pytest.mark.django_db
BASE = "/admin/snippets/panlearn_onboarding"


def base_of(model: str) -> str:
    return "/admin/snippets/panlearn_facilities" if model == "facilitystaff" else BASE


@pytest.fixture
def world(catalogue, facility, programme, quiz, safety, learner):
    """Ours (facility PDS, `programme`) and theirs (facility ILL-like), each with a programme, an
    experiment with a participant, a pass and a staff member."""
    other = FacilityFactory(short_name="OTHER", name="Other Source")
    their_quiz = make_quiz("Their quiz")
    their_course = make_course(catalogue, "Their induction", their_quiz)
    theirs = services.programme_create(facility=other, name="Their safety", courses=[(their_course, their_quiz, 80)])
    outsider = UserFactory(username="outsider", email="outsider@example.org")
    answer(outsider, their_quiz, right=5, course=their_course)
    answer(learner, quiz, right=5, course=safety)
    our_experiment = services.experiment_create(facility=facility, proposal="PDS-1", title="Ours",
                                                start_date=date(2030, 1, 1))  # fmt: skip
    their_experiment = services.experiment_create(facility=other, proposal="OTH-1", title="Theirs",
                                                  start_date=date(2030, 1, 1))  # fmt: skip
    services.participant_add(experiment=our_experiment, user=learner)
    their_participant = services.participant_add(experiment=their_experiment, user=outsider)
    staff = UserFactory(username="pds-staff", email="staff@pds.example.org")
    services.facility_staff_add(facility=facility, user=staff)
    their_staff = services.facility_staff_add(facility=other, user=UserFactory(username="oth-staff"))
    return {
        "staff": staff, "other": other, "programme": theirs, "experiment": their_experiment,
        "participant": their_participant, "completion": ProgrammeCompletion.objects.get(user=outsider),
        "staff_row": their_staff, "ours": {"programme": programme, "experiment": our_experiment},
    }  # fmt: skip


@pytest.fixture
def staff_client(client, world):
    client.force_login(world["staff"])
    return client


LISTS = [
    ("programme", "General safety", "Their safety"),
    ("experiment", "PDS-1", "OTH-1"),
    ("participant", "lise", "outsider"),
    ("programmecompletion", "lise", "outsider"),
    ("facilitystaff", "pds-staff", "oth-staff"),
]


@pytest.mark.parametrize(("model", "ours", "theirs"), LISTS)
def test_listings_show_only_the_staff_members_facility(staff_client, model, ours, theirs):
    response = staff_client.get(f"{base_of(model)}/{model}/")
    assert response.status_code == 200
    assert ours in response.text and theirs not in response.text
    search = staff_client.get(f"{base_of(model)}/{model}/results/", {"q": theirs})
    assert theirs not in search.text


@pytest.mark.parametrize("model", ["programme", "experiment", "participant", "programmecompletion", "facilitystaff"])
@pytest.mark.parametrize("view", ["edit", "delete", "history", "usage", "inspect"])
def test_another_facilitys_objects_are_not_found(staff_client, world, model, view):
    key = {"programmecompletion": "completion", "facilitystaff": "staff_row"}.get(model, model)
    response = staff_client.get(f"{base_of(model)}/{model}/{view}/{world[key].pk}/")
    assert response.status_code == 404


def test_posting_to_another_facilitys_objects_changes_nothing(staff_client, world):
    theirs = world["programme"]
    assert staff_client.post(f"{BASE}/programme/delete/{theirs.pk}/").status_code == 404
    assert (
        staff_client.post(f"{BASE}/experiment/edit/{world['experiment'].pk}/", {"title": "Mine now"}).status_code == 404
    )
    assert Programme.objects.filter(pk=theirs.pk).exists()
    assert Experiment.objects.get(pk=world["experiment"].pk).title == "Theirs"


def test_bulk_delete_skips_another_facilitys_objects(staff_client, world):
    theirs, ours = world["experiment"], world["ours"]["experiment"]
    url = f"/admin/bulk/panlearn_onboarding/experiment/delete/?id={theirs.pk}&id={ours.pk}"
    assert staff_client.post(url).status_code in (200, 302)
    assert Experiment.objects.filter(pk=theirs.pk).exists()
    assert not Experiment.objects.filter(pk=ours.pk).exists()


def test_forms_offer_only_their_facilities_and_refuse_others(staff_client, world, facility):
    form = staff_client.get(f"{BASE}/experiment/add/").text
    assert "PDS" in form and "OTHER" not in form
    data = {"facility": world["other"].pk, "proposal": "X-1", "title": "Sneaky", "instrument": "",
            "experiment_type": "", "start_date": "2030-02-01"}  # fmt: skip
    response = staff_client.post(f"{BASE}/experiment/add/", data)
    assert response.status_code == 200 and not Experiment.objects.filter(proposal="X-1").exists()
    data["facility"] = facility.pk
    assert staff_client.post(f"{BASE}/experiment/add/", data).status_code == 302
    assert Experiment.objects.get(proposal="X-1").facility == facility
    participant_form = staff_client.get(f"{BASE}/participant/add/").text
    assert "PDS-1" in participant_form and "OTH-1" not in participant_form
    assert "outsider@example.org" not in participant_form  # no list of the site's users


def test_participants_are_named_by_email(staff_client, world, learner):
    experiment = Experiment.objects.get(proposal="PDS-1")
    url = f"{BASE}/participant/add/"
    missing = staff_client.post(url, {"experiment": experiment.pk, "email": "nobody@example.org", "role": "remote"})
    assert "No account has confirmed this email address" in missing.text
    duplicate = staff_client.post(url, {"experiment": experiment.pk, "email": "LISE@example.org", "role": "remote"})
    assert duplicate.status_code == 200 and Participant.objects.filter(experiment=experiment).count() == 1
    newcomer = UserFactory(username="newcomer", email="new@example.org")
    assert (
        staff_client.post(url, {"experiment": experiment.pk, "email": "new@example.org", "role": "remote"}).status_code
        == 302
    )
    assert Participant.objects.get(experiment=experiment, user=newcomer).role == "remote"


def test_staff_create_a_programme_for_their_facility(staff_client, facility, catalogue):
    quiz = make_quiz("Chemistry quiz")
    course = make_course(catalogue, "Chemistry lab", quiz)
    data = nested_form_data({
        "facility": facility.pk, "name": "Chemistry lab access", "description": "", "validity_months": 24,
        "refresher_course": "", "refresher_assessment": "", "refresher_pass_mark": 80,
        "courses": inline_formset([{"course": course.pk, "final_assessment": quiz.pk, "pass_mark": 90}]),
        "requirements": inline_formset([{"role": "", "instrument": "", "experiment_type": "chemistry lab"}]),
    })  # fmt: skip
    response = staff_client.post(f"{BASE}/programme/add/", data)
    assert response.status_code == 302, response.text[:2000]
    programme = Programme.objects.get(name="Chemistry lab access")
    assert programme.facility == facility and programme.courses.get().pass_mark == 90


def test_an_assessment_outside_the_course_is_refused(staff_client, facility, catalogue):
    quiz = make_quiz("Stray quiz")
    course = make_course(catalogue, "No quiz here", None)
    data = nested_form_data({
        "facility": facility.pk, "name": "Broken", "description": "", "validity_months": 12,
        "refresher_course": "", "refresher_assessment": "", "refresher_pass_mark": 80,
        "courses": inline_formset([{"course": course.pk, "final_assessment": quiz.pk, "pass_mark": 80}]),
        "requirements": inline_formset([]),
    })  # fmt: skip
    response = staff_client.post(f"{BASE}/programme/add/", data)
    assert response.status_code == 200 and "not in any published lesson" in response.text


def test_passes_are_read_only_even_for_superusers(client, world):
    staff = world["staff"]
    client.force_login(staff)
    assert client.get(f"{BASE}/programmecompletion/add/").status_code in (302, 403)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(f"{BASE}/programmecompletion/add/").status_code in (302, 403)
    listing = client.get(f"{BASE}/programmecompletion/").text
    assert "lise" in listing and "outsider" in listing  # superusers see every facility
    assert client.get(f"{BASE}/programmecompletion/inspect/{world['completion'].pk}/").status_code == 200


def test_removing_the_last_staff_row_removes_admin_access(world, facility):
    staff = world["staff"]
    assert staff.has_perm("wagtailadmin.access_admin")
    services.facility_staff_remove(facility=facility, user=staff)
    staff = type(staff).objects.get(pk=staff.pk)
    assert not staff.has_perm("wagtailadmin.access_admin") and not FacilityStaff.objects.filter(user=staff).exists()


def test_administrators_give_a_facility_a_logo_and_contacts(client, facility):
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file

    logo = get_image_model().objects.create(title="PDS logo", file=get_test_image_file())
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    url = f"/admin/snippets/panlearn_facilities/facility/edit/{facility.pk}/"
    assert client.get(url).status_code == 200
    data = nested_form_data({
        "name": facility.name, "short_name": facility.short_name, "ror_id": facility.ror_id, "website": "",
        "logo": logo.pk,
        "contacts": inline_formset([{"role": "User office", "name": "", "email": "uo@example.org", "phone": ""}]),
    })  # fmt: skip
    assert client.post(url, data).status_code == 302
    facility.refresh_from_db()
    assert facility.logo == logo and facility.contacts.get().email == "uo@example.org"


def test_site_history_lists_only_the_staff_members_facility(staff_client, world):
    """Wagtail's site history lists the log of every object of a model to anyone with a permission on it
    (review of 2026-12-04: another facility's confidential experiment, its participants and its passes)."""
    from wagtail.log_actions import log

    ours = world["ours"]["experiment"]
    log(ours, "wagtail.create", user=world["staff"])
    log(world["experiment"], "wagtail.create", user=world["staff_row"].user)
    log(world["participant"], "wagtail.create", user=world["staff_row"].user)
    for url in ("/admin/reports/site-history/", "/admin/reports/site-history/results/"):
        page = staff_client.get(url)
        assert page.status_code == 200
        assert "PDS-1" in page.text and "OTH-1" not in page.text and "outsider" not in page.text
    export = staff_client.get("/admin/reports/site-history/", {"export": "csv"})
    text = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "PDS-1" in text and "OTH-1" not in text
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    staff_client.force_login(admin)
    assert "OTH-1" in staff_client.get("/admin/reports/site-history/").text  # superusers see every facility


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "/admin/snippets/panlearn_courses/facility/edit/7/?q=x",
            "/admin/snippets/panlearn_facilities/facility/edit/7/?q=x",
        ),
        ("/admin/snippets/panlearn_onboarding/facilitystaff/", "/admin/snippets/panlearn_facilities/facilitystaff/"),
    ],
)
def test_the_admin_urls_of_facilities_before_their_app_lead_to_the_new_ones(client, old, new):
    response = client.get(old)
    assert response.status_code == 302 and response["Location"] == new
