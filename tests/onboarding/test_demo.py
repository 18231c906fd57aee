"""The demo's safety induction is a real programme, loaded idempotently."""

import pytest
from django.core.management import call_command

from courses.models import CoursePage
from exercises.models import Exercise, QuizQuestion
from facilities.models import FacilityStaff
from onboarding.models import Experiment, Participant, Programme, ProgrammeCompletion

pytestmark = pytest.mark.django_db


def counts():
    return [model.objects.count() for model in (Programme, Experiment, Participant, Exercise, QuizQuestion,
                                                FacilityStaff)]  # fmt: skip


def test_the_demo_programme_loads_once_and_the_student_can_pass_it(client):
    call_command("load_demo_content", verbosity=0)
    before = counts()
    call_command("load_demo_content", verbosity=0)
    assert counts() == before

    programme = Programme.objects.get(name="General safety induction")
    row = programme.courses.get()
    assert (programme.validity_months, row.pass_mark, row.final_assessment.kind) == (12, 80, "quiz")
    assert programme.facility.name == "PaN Demo Source" and programme.facility.contacts.count() == 2
    course = CoursePage.objects.get(slug="facility-safety-induction")
    assert row.course_id == course.pk and len(course.live_lessons) == 5
    assert row.final_assessment.is_valid and row.final_assessment.questions.count() == 5

    from invitations.models import ParticipantInvitation

    participant = Participant.objects.get(experiment__proposal="PDS-DEMO-0001")  # invited by the facility:
    assert participant.user.username == "student"
    assert ParticipantInvitation.objects.filter(user=participant.user, experiment=participant.experiment).exists()

    client.login(username="student", password="panlearn-student")
    html = client.get("/learn/onboarding/ready/").text
    assert "PDS-DEMO-0001" in html and "General safety induction" in html and 'data-testid="ready"' not in html

    client.post(f"/learn/courses/{course.pk}/enrol/")
    quiz_lesson = course.live_lessons[-1]
    page = client.get(quiz_lesson.url).text
    assert "Facility safety induction: final quiz" in page
    answers = right_answers(row.final_assessment)
    answers.pop(next(iter(answers)))  # one wrong (missing): 4 of 5 is the 80 % pass mark
    response = client.post(f"/learn/exercises/{quiz_lesson.pk}/{row.final_assessment.pk}/submit",
                           {"answers": answers}, content_type="application/json")  # fmt: skip
    assert response.status_code == 202 and response.json()["status"] == "graded"
    assert ProgrammeCompletion.objects.filter(user__username="student", programme=programme).exists()
    assert 'data-testid="ready"' in client.get("/learn/onboarding/ready/").text


def test_the_demo_facility_account_manages_its_programme(client):
    call_command("load_demo_content", verbosity=0)
    client.login(username="facility", password="panlearn-facility")
    listing = client.get("/admin/snippets/panlearn_onboarding/programme/")
    assert listing.status_code == 200 and "General safety induction" in listing.text


def right_answers(quiz) -> dict:
    answers = {}
    for question in quiz.questions.all():
        spec = question.spec
        if question.kind == "single":
            answers[str(question.pk)] = next(o["id"] for o in spec["options"] if o.get("correct"))
        elif question.kind == "multiple":
            answers[str(question.pk)] = [o["id"] for o in spec["options"] if o.get("correct")]
        elif question.kind == "number":
            answers[str(question.pk)] = str(spec["value"])
        else:
            answers[str(question.pk)] = "the assembly point"
    return answers


def test_every_demo_answer_is_right(db):
    from exercises.grading.specs import stored_questions
    from exercises.quiz_specs import grade_answers

    call_command("load_demo_content", verbosity=0)
    quiz = Exercise.objects.get(title="Facility safety induction: final quiz")
    outcomes = grade_answers(stored_questions(quiz), right_answers(quiz))
    assert [outcome["status"] for outcome in outcomes] == ["passed"] * 5
