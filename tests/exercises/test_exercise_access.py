"""Who may manage which exercise (exercises/access.py), with a second trainer and a second facility.

The review of 2026-12-04: a trainer of courses A and B downloaded the grades of a facility's safety quiz,
opened its editor (answer key included) and overrode a score for a user who never took it, who then held
a safety pass and a certificate. Every trainer held the site-wide `change_exercise` permission, and it
was the only check."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from courses import services as courses
from exercises.models import Exercise, GradeOverride
from onboarding import services as onboarding
from onboarding.models import ProgrammeCompletion
from tests.factories import FacilityFactory, UserFactory, trainer_of
from tests.onboarding.conftest import answer, make_course, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalogue):
    quiz_a, quiz_b, safety_quiz = make_quiz("Quiz of A"), make_quiz("Quiz of B"), make_quiz("Safety quiz")
    course_a, course_b = make_course(catalogue, "Course A", quiz_a), make_course(catalogue, "Course B", quiz_b)
    safety = make_course(catalogue, "Safety induction", safety_quiz)
    pds, other = FacilityFactory(short_name="PDS"), FacilityFactory(short_name="OTH")
    programme = onboarding.programme_create(facility=pds, name="General safety", courses=[(safety, safety_quiz, 80)])
    alice, bob = trainer_of(catalogue, "alice", course_a), trainer_of(catalogue, "bob", course_b)
    draft = Exercise.objects.create(title="Draft by Alice", solution_code="x = 1", owner=alice)
    pds_staff, other_staff = UserFactory(username="pds-staff"), UserFactory(username="oth-staff")
    onboarding.facility_staff_add(facility=pds, user=pds_staff)
    onboarding.facility_staff_add(facility=other, user=other_staff)
    learner = UserFactory(username="lise", email="lise@example.org")
    for course in (course_a, course_b, safety):
        courses.enrolment_create(user=learner, course=course)
    answer(learner, quiz_a, right=5, course=course_a)
    answer(learner, quiz_b, right=4, course=course_b)
    answer(learner, safety_quiz, right=2, course=safety)
    return {
        "quiz_a": quiz_a, "quiz_b": quiz_b, "safety_quiz": safety_quiz, "draft": draft, "alice": alice,
        "bob": bob, "pds_staff": pds_staff, "other_staff": other_staff, "learner": learner, "programme": programme,
    }  # fmt: skip


def gradebook_exercises(client, user) -> set[str]:
    client.force_login(user)
    rows = csv.DictReader(io.StringIO(client.get("/admin/exercises/gradebook/", {"format": "csv"}).content
                                      .decode("utf-8-sig")))  # fmt: skip
    return {row["exercise"] for row in rows}


def test_each_trainer_sees_the_grades_of_their_own_courses_only(client, world):
    assert gradebook_exercises(client, world["alice"]) == {"Quiz of A"}
    assert gradebook_exercises(client, world["bob"]) == {"Quiz of B"}
    assert gradebook_exercises(client, world["pds_staff"]) == {"Safety quiz"}  # the programme's assessment
    client.force_login(world["other_staff"])
    refused = client.get("/admin/exercises/gradebook/")  # staff of a facility without programmes: refused
    assert refused.status_code in (302, 403) and "gradebook" not in refused.get("Location", "")
    client.force_login(world["alice"])
    listed = client.get("/admin/exercises/gradebook/").text  # the exercise filter offers none of the others
    assert "Quiz of A" in listed and "Safety quiz" not in listed and "Quiz of B" not in listed


def test_another_courses_grades_cannot_be_changed(client, world):
    client.force_login(world["alice"])
    learner, safety_quiz, quiz_b = world["learner"], world["safety_quiz"], world["quiz_b"]
    cleared = {"exercise": safety_quiz.pk, "user": learner.pk, "points": "5", "comment": "Cleared"}
    forged = client.post("/admin/exercises/gradebook/override", cleared)
    assert forged.status_code == 404
    assert not GradeOverride.objects.exists() and not ProgrammeCompletion.objects.exists()
    assert client.post(f"/admin/exercises/{quiz_b.pk}/regrade").status_code == 404
    assert client.get(f"/admin/exercises/{quiz_b.pk}/regrade/report").status_code == 404
    # The facility's own staff may: the override is theirs to make, and it clears the learner.
    client.force_login(world["pds_staff"])
    client.post("/admin/exercises/gradebook/override", {**cleared, "comment": "Checked on paper"})
    assert ProgrammeCompletion.objects.filter(user=learner, programme=world["programme"]).exists()


def test_the_exercise_editor_inspect_and_chooser_show_only_ones_own(client, world):
    viewset = Exercise.snippet_viewset
    chooser = viewset.chooser_viewset
    client.force_login(world["alice"])
    own, draft, theirs = world["quiz_a"], world["draft"], world["safety_quiz"]
    listing = client.get(reverse(viewset.get_url_name("list"))).text
    assert own.title in listing and draft.title in listing
    assert theirs.title not in listing and world["quiz_b"].title not in listing
    assert client.get(reverse(viewset.get_url_name("edit"), args=[own.pk])).status_code == 200
    for name in ("edit", "delete", "history", "usage"):
        assert client.get(reverse(viewset.get_url_name(name), args=[theirs.pk])).status_code == 404, name
    chosen = client.get(reverse(chooser.get_url_name("choose"))).text
    assert own.title in chosen and theirs.title not in chosen
    results = client.get(reverse(chooser.get_url_name("choose_results")), {"q": "quiz"}).text
    assert own.title in results and theirs.title not in results
    assert client.get(reverse(chooser.get_url_name("chosen"), args=[theirs.pk])).status_code == 404
    assert client.get(reverse(chooser.get_url_name("chosen"), args=[own.pk])).status_code == 200


def test_an_exercise_no_course_uses_belongs_to_its_author(client, world):
    client.force_login(world["bob"])
    assert (
        client.get(reverse(Exercise.snippet_viewset.get_url_name("edit"), args=[world["draft"].pk])).status_code == 404
    )
    client.force_login(world["alice"])
    assert (
        client.get(reverse(Exercise.snippet_viewset.get_url_name("edit"), args=[world["draft"].pk])).status_code == 200
    )


def test_a_superuser_manages_every_exercise(client, world):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert gradebook_exercises(client, admin) == {"Quiz of A", "Quiz of B", "Safety quiz"}
    assert Group.objects.filter(name=courses.TRAINERS_GROUP).exists()


def test_site_history_shows_a_trainer_only_their_own_exercises(client, world):
    from wagtail.log_actions import log

    for quiz in ("quiz_a", "quiz_b", "safety_quiz"):
        log(world[quiz], "wagtail.edit", user=world["alice"] if quiz == "quiz_a" else world["bob"])
    client.force_login(world["alice"])
    history = client.get("/admin/reports/site-history/").text
    assert "Quiz of A" in history and "Quiz of B" not in history and "Safety quiz" not in history
    client.force_login(world["bob"])
    history = client.get("/admin/reports/site-history/").text
    assert "Quiz of B" in history and "Quiz of A" not in history and "Safety quiz" not in history


def add_lesson(client, course, exercise):
    from wagtail.test.utils.form_data import nested_form_data, streamfield

    form = {"title": "Scratch", "slug": f"scratch-{exercise.pk}", "summary": "",
            "body": streamfield([("exercise", {"exercise": exercise.pk})])}  # fmt: skip
    return client.post(f"/admin/pages/add/panlearn_courses/lessonpage/{course.pk}/", nested_form_data(form))


def test_an_exercise_joins_a_lesson_only_in_the_hands_of_who_manages_it(client, world):
    """Naming the facility's safety quiz in a new draft lesson of her own course made it Alice's: its
    grades, its answer key, and an override that cleared a learner for beamtime (review of 2026-12-06)."""
    from courses.models import CoursePage, LessonPage

    alice, learner, safety_quiz = world["alice"], world["learner"], world["safety_quiz"]
    course_a = CoursePage.objects.get(title="Course A")
    client.force_login(alice)
    refused = add_lesson(client, course_a, safety_quiz)
    assert refused.status_code == 200 and "belongs to courses you do not edit" in refused.text
    assert not LessonPage.objects.filter(slug=f"scratch-{safety_quiz.pk}").exists()
    assert "Safety quiz" not in gradebook_exercises(client, alice)
    cleared = {"exercise": safety_quiz.pk, "user": learner.pk, "points": "5", "comment": "Cleared"}
    assert client.post("/admin/exercises/gradebook/override", cleared).status_code == 404
    assert not ProgrammeCompletion.objects.filter(user=learner, programme=world["programme"]).exists()
    # Her own exercises (this one has not passed its validation run: refused for that alone), and those
    # her course already uses, she may place.
    client.force_login(alice)
    own = add_lesson(client, course_a, world["draft"])
    assert "validation run" in own.text and "belongs to courses you do not edit" not in own.text
    assert add_lesson(client, course_a, world["quiz_a"]).status_code == 302
