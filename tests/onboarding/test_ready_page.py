"""The "Ready for your experiment?" checklist and the user's programmes page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.services import enrolment_create, lesson_complete
from onboarding import services
from onboarding.models import ProgrammeCompletion
from tests.factories import UserFactory
from tests.onboarding.conftest import answer, make_course, make_quiz

pytestmark = pytest.mark.django_db
READY = "/learn/onboarding/ready/"
MINE = "/learn/onboarding/programmes/"


@pytest.fixture
def experiment(facility, programme, catalogue):
    """An experiment on D22 (soft matter); besides the general programme, the facility has one for
    another instrument and one for principal investigators only, neither required of an experimenter."""
    for name, requirement in (
        ("D33 induction", {"instrument": "D33"}),
        ("PI duties", {"role": "principal_investigator"}),
    ):
        quiz = make_quiz(f"{name} quiz")
        services.programme_create(facility=facility, name=name, requirements=[requirement],
                                  courses=[(make_course(catalogue, name, quiz), quiz, 80)])  # fmt: skip
    chemistry = make_quiz("Chemistry quiz")
    soft_matter = [{"experiment_type": "Soft Matter"}]
    services.programme_create(facility=facility, name="Chemistry lab", requirements=soft_matter,
                              courses=[(make_course(catalogue, "Chemistry", chemistry), chemistry, 80)])  # fmt: skip
    return services.experiment_create(facility=facility, proposal="PDS-42", title="Bilayers at three contrasts",
                                      instrument="D22", experiment_type="soft matter",
                                      start_date=timezone.localdate() + timedelta(days=20))  # fmt: skip


@pytest.fixture
def participant(experiment):
    user = UserFactory(username="ada", email="ada@example.org")
    services.participant_add(experiment=experiment, user=user, role="experimenter")
    return user


def checklist(client):
    response = client.get(READY)
    assert response.status_code == 200
    return response.text


def test_the_checklist_lists_what_the_participant_needs_and_where_to_start(client, participant, safety, quiz):
    client.force_login(participant)
    html = checklist(client)
    assert "Bilayers at three contrasts" in html and "PDS-42" in html and "D22" in html
    assert "General safety" in html and "Chemistry lab" in html  # the type matches case-insensitively
    assert "D33 induction" not in html and "PI duties" not in html
    assert "2 of 2 required programmes still to do" in html
    assert "Not started" in html and f'href="{safety.url}"' in html and "Start: Safety induction" in html

    enrolment_create(user=participant, course=safety)
    lessons = safety.live_lessons
    lesson_complete(user=participant, lesson=lessons[0])
    html = checklist(client)
    assert "In progress" in html and f"Continue: {lessons[1].title}" in html and lessons[1].url in html
    for lesson in lessons[1:]:
        lesson_complete(user=participant, lesson=lesson)
    html = checklist(client)
    assert "Take the final assessment of Safety induction" in html and lessons[-1].url in html

    answer(participant, quiz, right=5, course=safety)
    html = checklist(client)
    until = ProgrammeCompletion.objects.get(user=participant).valid_until
    assert f"Valid until {until:%-d %B %Y}" in html and "1 of 2 required programmes still to do" in html


def test_ready_when_every_programme_is_valid_and_renew_when_expired(client, participant, experiment, safety, quiz):
    from onboarding.models import Programme

    for programme in Programme.objects.filter(name__in=["General safety", "Chemistry lab"]):
        row = programme.courses.get()
        enrolment_create(user=participant, course=row.course)
        answer(participant, row.final_assessment, right=5, course=row.course)
    client.force_login(participant)
    assert 'data-testid="ready"' in checklist(client)
    ProgrammeCompletion.objects.filter(programme__name="General safety").update(
        valid_until=timezone.now() - timedelta(days=1)
    )
    html = checklist(client)
    assert 'data-testid="not-ready"' in html and "Expired" in html and "Renew:" in html


def test_past_experiments_and_strangers_see_the_empty_state(client, participant, experiment):
    stranger = UserFactory(username="stranger")
    client.force_login(stranger)
    html = checklist(client)
    assert "No upcoming experiments" in html and "Bilayers" not in html
    experiment.start_date = timezone.localdate() - timedelta(days=1)
    experiment.save()
    client.force_login(participant)
    assert "No upcoming experiments" in checklist(client)


def test_my_programmes_lists_required_and_enrolled_programmes(client, participant, catalogue, facility):
    client.force_login(participant)
    html = client.get(MINE).text
    assert "PaN Demo Source" in html and "General safety" in html and "Chemistry lab" in html
    assert "D33 induction" not in html
    enrolment_create(user=participant, course=make_course_for(facility, catalogue))
    assert "Optional extra" in client.get(MINE).text
    client.force_login(UserFactory(username="nobody"))
    assert "No training programmes yet" in client.get(MINE).text


def make_course_for(facility, catalogue):
    quiz = make_quiz("Extra quiz")
    course = make_course(catalogue, "Extra course", quiz)
    services.programme_create(facility=facility, name="Optional extra", courses=[(course, quiz, 80)], requirements=[])
    return course


def test_the_pages_need_a_sign_in(client):
    for url in (READY, MINE):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
