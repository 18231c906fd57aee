"""The dashboards read the built-in store: fixture data made through the real services (enrolment,
lessons, quiz submissions graded at once), delivered by the real delivery run, then the exact numbers
checked in the selectors, the rendered pages and the CSV files; and who may see which dashboard."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from courses import services as courses
from dashboards import selectors as dashboards
from exercises.submissions import submission_create
from onboarding import services as onboarding
from tests.exercises.test_quiz_exercises import make_quiz, place
from tests.factories import CoursePageFactory, FacilityFactory, LessonPageFactory, UserFactory
from tracking.delivery import deliver_all
from tracking.models import StoredStatement

pytestmark = pytest.mark.django_db

DASHBOARDS = "/admin/tracking/dashboards"


def _answers(quiz, kind: str) -> dict:
    single, multiple, number, text = [str(pk) for pk in quiz.questions.values_list("pk", flat=True)]
    return {
        "right": {single: "b", multiple: ["a", "b"], number: "1.545", text: "Bragg"},  # 5 of 5
        "partial": {single: "b", multiple: ["a", "c"], number: "0.154 nm", text: "BRAGG"},  # 3 of 5
        "wrong": {single: "a"},  # 0 of 5
    }[kind]


def _submit(user, quiz, course, kind: str):
    return submission_create(user=user, exercise=quiz, kind="submit", course=course, answers=_answers(quiz, kind))


def _admin_user(username: str):
    user = UserFactory(username=username)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@pytest.fixture
def world(course, lessons, monkeypatch):
    """Course "Neutron diffraction basics": lessons 1-3 and a quiz lesson, and four students.

    - ada: every lesson done (the course completed); the quiz wrong, then right: 2 attempts, passed.
    - bob: lesson 1 done, lesson 2 done then marked not done; the quiz 3 times at 3 of 5: stuck.
    - cleo: enrolled and did lesson 1 twenty days ago, nothing since: inactive.
    - dan: did lesson 1, then left the course: counted nowhere.
    """
    quiz = make_quiz()
    quiz_lesson = place(course, quiz)
    course = type(course).objects.get(pk=course.pk)  # fresh: its lesson list includes the quiz
    all_lessons = [*lessons, quiz_lesson]
    ada, bob, cleo, dan = (UserFactory(username=name) for name in ("ada", "bob", "cleo", "dan"))
    real_now = timezone.now
    with monkeypatch.context() as past:
        past.setattr("django.utils.timezone.now", lambda: real_now() - timedelta(days=20))
        courses.enrolment_create(user=cleo, course=course)
        courses.lesson_complete(user=cleo, lesson=all_lessons[0])
    for user in (ada, bob, dan):
        courses.enrolment_create(user=user, course=course)
    for lesson in all_lessons:
        courses.lesson_complete(user=ada, lesson=lesson)
    _submit(ada, quiz, course, "wrong")
    _submit(ada, quiz, course, "right")
    courses.lesson_complete(user=bob, lesson=all_lessons[0])
    courses.lesson_complete(user=bob, lesson=all_lessons[1])
    courses.lesson_uncomplete(user=bob, lesson=all_lessons[1])
    for _ in range(3):
        _submit(bob, quiz, course, "partial")
    courses.lesson_complete(user=dan, lesson=all_lessons[0])
    courses.enrolment_deactivate(user=dan, course=course)
    report = deliver_all()["builtin"]
    assert report.delivered == StoredStatement.objects.count() > 0 and not report.dead
    return {"course": course, "lessons": all_lessons, "quiz": quiz, "ada": ada, "bob": bob, "cleo": cleo, "dan": dan}


@pytest.fixture
def trainer(world):
    """An editor of the course, as its creator is."""
    user = _admin_user("trainer")
    courses.course_grant_editing(course=world["course"], user=user)
    return user


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# The numbers ---------------------------------------------------------------------------------------


def test_course_overview_numbers_match_the_fixture(world):
    overview = dashboards.course_overview(course=world["course"], now=timezone.now())
    assert (overview.enrolled, overview.active, overview.completed) == (3, 2, 1)
    assert [(row.lesson.title, row.completed, row.percent) for row in overview.lessons] == [
        ("Lesson 1", 3, 100),
        ("Lesson 2", 1, 33),
        ("Lesson 3", 1, 33),
        ("Quiz", 1, 33),
    ]
    (quiz,) = overview.exercises
    assert quiz.exercise == world["quiz"] and quiz.lesson.title == "Quiz"
    assert (quiz.students, quiz.attempts, quiz.passed, quiz.mean_attempts, quiz.mean_score) == (2, 5, 1, 2.5, 80.0)
    assert quiz.score_bins == [("0–19 %", 0), ("20–39 %", 0), ("40–59 %", 0), ("60–79 %", 1), ("80–100 %", 1)]
    assert quiz.attempt_bins == [("1", 0), ("2", 1), ("3", 1), ("4", 0), ("5+", 0)]
    rows = {row.user.username: row for row in overview.students}
    assert list(rows) == ["ada", "bob", "cleo"]  # dan left the course
    assert [(r.lessons_done, r.percent, r.attempts, r.passed) for r in rows.values()] == [
        (4, 100, 2, 1),
        (1, 25, 3, 0),
        (1, 25, 0, 0),
    ]
    assert rows["ada"].completed_at is not None and rows["bob"].completed_at is None
    assert [(row.user.username, [s.kind for s in row.struggles]) for row in overview.struggling] == [
        ("bob", ["stuck"]),
        ("cleo", ["inactive"]),
    ]
    assert rows["bob"].struggles[0].detail == "3 attempts at “Scattering quiz”, not passed"
    assert rows["cleo"].struggles[0].detail.startswith("no activity for 20 days (since ")
    longer = dashboards.course_overview(course=world["course"], now=timezone.now(), inactive_days=30)
    assert [row.user.username for row in longer.struggling] == ["bob"]  # 20 days idle is not 30


def test_an_override_that_passes_a_student_ends_being_stuck(world):
    from exercises.gradebook import override_set

    override_set(exercise=world["quiz"], user=world["bob"], points=5, comment="Answer 2 was right", by=None)
    deliver_all()
    overview = dashboards.course_overview(course=world["course"], now=timezone.now())
    (quiz,) = overview.exercises
    assert (quiz.passed, quiz.mean_score) == (2, 100.0)  # the voided 3-of-5 grades no longer count
    assert [row.user.username for row in overview.struggling] == ["cleo"]


def test_the_course_list_and_the_facility_records(world):
    summary = dashboards.course_summaries([world["course"]], now=timezone.now())[0]
    assert (summary.enrolled, summary.active, summary.completed) == (3, 2, 1)
    facility = FacilityFactory(short_name="ILL")
    world["course"].facility = facility
    world["course"].save()
    listed, records = dashboards.facility_completions(facility=facility)
    # Every enrolment counts here, dan's too (he left): a facility keeps records.
    assert [(row.course.title, row.enrolled, row.completed) for row in listed] == [("Neutron diffraction basics", 4, 1)]
    assert [(record.user.username, record.course.title) for record in records] == [
        ("ada", "Neutron diffraction basics")
    ]


def test_student_progress_reads_the_store_and_gives_the_next_step(world):
    (bob,) = dashboards.student_progress(user=world["bob"])
    assert (bob.done, bob.total, bob.percent, bob.next_lesson.title) == (1, 4, 25, "Lesson 2")
    (result,) = bob.exercises
    assert (result.attempts, result.raw, result.possible, result.percent, result.passed) == (3, 3.0, 5.0, 60.0, False)
    (ada,) = dashboards.student_progress(user=world["ada"])
    assert ada.next_lesson is None and ada.completed_at is not None and ada.exercises[0].passed
    assert dashboards.student_progress(user=world["dan"]) == []  # left the course


# The pages and their CSV ---------------------------------------------------------------------------


def test_the_trainer_dashboard_shows_and_exports_the_numbers(client, world, trainer):
    client.force_login(trainer)
    course = world["course"]
    html = client.get(f"{DASHBOARDS}/courses/{course.pk}/").text
    for testid, value in (("enrolled", 3), ("active", 2), ("completed", 1), ("struggling-count", 2)):
        assert f'data-testid="{testid}">{value}<' in html
    assert html.count(">3 (100 %)</text>") == 1 and html.count(">1 (33 %)</text>") == 3  # the funnel's SVG bars
    assert "<svg" in html and "Students by best score: Scattering quiz" in html
    assert "3 attempts at “Scattering quiz”, not passed" in html and "no activity for 20 days" in html

    url = f"{DASHBOARDS}/courses/{course.pk}/"
    assert _csv(client.get(url, {"csv": "lessons"})) == [
        ["number", "lesson", "completed", "percent_of_enrolled"],
        ["1", "Lesson 1", "3", "100"],
        ["2", "Lesson 2", "1", "33"],
        ["3", "Lesson 3", "1", "33"],
        ["4", "Quiz", "1", "33"],
    ]
    header, row = _csv(client.get(url, {"csv": "exercises"}))
    assert dict(zip(header, row, strict=True)) == {
        "exercise": "Scattering quiz", "lesson": "Quiz", "students": "2", "attempts": "5", "mean_attempts": "2.5",
        "passed": "1", "mean_best_score_percent": "80.0", "best_score 0–19 %": "0", "best_score 20–39 %": "0",
        "best_score 40–59 %": "0", "best_score 60–79 %": "1", "best_score 80–100 %": "1", "attempts 1": "0",
        "attempts 2": "1", "attempts 3": "1", "attempts 4": "0", "attempts 5+": "0",
    }  # fmt: skip
    students = _csv(client.get(url, {"csv": "students"}))
    assert [(r[0], r[2], r[3], r[4], r[7], r[8]) for r in students[1:]] == [
        ("ada", "4", "4", "100", "2", "1"),
        ("bob", "1", "4", "25", "3", "0"),
        ("cleo", "1", "4", "25", "0", "0"),
    ]
    struggling = _csv(client.get(url, {"csv": "struggling"}))
    assert [(r[0], r[1]) for r in struggling[1:]] == [("bob", "stuck"), ("cleo", "inactive")]
    assert client.get(url, {"csv": "nonsense"}).status_code == 404

    listing = client.get(f"{DASHBOARDS}/courses/").text
    assert course.title in listing and "Dashboards" in client.get("/admin/").text
    assert _csv(client.get(f"{DASHBOARDS}/courses/", {"csv": "courses"})) == [
        ["course", "enrolled", "active_last_7_days", "completed"],
        ["Neutron diffraction basics", "3", "2", "1"],
    ]


def test_long_lists_are_paginated(client, world, trainer, monkeypatch):
    monkeypatch.setattr("dashboards.views.PAGE_SIZE", 2)
    client.force_login(trainer)
    url = f"{DASHBOARDS}/courses/{world['course'].pk}/"
    first, second = client.get(url).text, client.get(url, {"page": 2}).text
    assert "Page 1 of 2" in first and "<td>cleo</td>" not in first.split('data-testid="students"')[1]
    assert "<td>cleo</td>" in second.split('data-testid="students"')[1]


def test_a_course_without_students_shows_empty_states(client, catalogue):
    course = CoursePageFactory(parent=catalogue, title="Empty course")
    LessonPageFactory(parent=course, title="Only lesson")
    admin = _admin_user("lonely")
    courses.course_grant_editing(course=course, user=admin)
    client.force_login(admin)
    html = client.get(f"{DASHBOARDS}/courses/{course.pk}/").text
    assert 'data-testid="enrolled">0<' in html and "No student is enrolled yet" in html
    assert "hold no exercises" in html and "Nobody is struggling" in html


def test_the_student_progress_page(client, world):
    client.force_login(world["bob"])
    html = client.get("/learn/progress/").text
    lesson_2 = world["lessons"][1]
    assert f'data-testid="next-step" href="{lesson_2.url}"' in html and "Continue: Lesson 2" in html
    assert "3 of 5 (60 %)" in html and "not passed yet" in html and "1 of 4 lessons" in html
    assert "ada" not in html  # only their own
    rows = _csv(client.get("/learn/progress/", {"csv": "exercises"}))
    assert rows == [
        ["course", "exercise", "attempts", "best_points", "possible", "best_percent", "passed"],
        ["Neutron diffraction basics", "Scattering quiz", "3", "3.0", "5.0", "60.0", "no"],
    ]
    client.force_login(world["ada"])
    assert "Course completed on" in client.get("/learn/progress/").text
    client.force_login(UserFactory(username="newcomer"))
    assert "not enrolled in any course yet" in client.get("/learn/progress/").text
    client.logout()
    assert client.get("/learn/progress/").status_code == 302  # sign in first


def test_the_facility_dashboard(client, world):
    ill, esrf = FacilityFactory(short_name="ILL"), FacilityFactory(short_name="ESRF")
    world["course"].facility = ill
    world["course"].save()
    staff = UserFactory(username="office")
    onboarding.facility_staff_add(facility=ill, user=staff)
    client.force_login(staff)
    html = client.get(f"{DASHBOARDS}/facilities/{ill.pk}/").text
    assert "<td>ada</td>" in html and "1 completion." in html and "<td>bob</td>" not in html
    rows = _csv(client.get(f"{DASHBOARDS}/facilities/{ill.pk}/", {"csv": "completions"}))
    assert [row[:5] for row in rows] == [
        ["username", "first_name", "last_name", "email", "course"],
        ["ada", "", "", "ada@example.org", "Neutron diffraction basics"],
    ]
    assert rows[1][5].startswith(str(timezone.now().year))
    assert client.get(f"{DASHBOARDS}/facilities/{esrf.pk}/").status_code == 404  # not their facility
    assert "ESRF" not in client.get(f"{DASHBOARDS}/facilities/").text
    world["ada"].confirmed_emails.all().delete()  # an address no one confirmed names no one, here or in the export
    rows = _csv(client.get(f"{DASHBOARDS}/facilities/{ill.pk}/", {"csv": "completions"}))
    assert rows[1][:5] == ["ada", "", "", "", "Neutron diffraction basics"]
    html = client.get(f"{DASHBOARDS}/facilities/{ill.pk}/").text
    assert "<td>ada</td>" in html and "ada@example.org" not in html


# Who may see what ----------------------------------------------------------------------------------


def test_facility_staff_see_their_own_facility_dashboard_only(client, world, catalogue):
    """Staff added in onboarding (FacilityStaff) see their facility's dashboard; nobody else's."""
    ill, esrf = FacilityFactory(short_name="ILL"), FacilityFactory(short_name="ESRF")
    at_ill, at_esrf = UserFactory(username="at-ill"), UserFactory(username="at-esrf")
    onboarding.facility_staff_add(facility=ill, user=at_ill)
    onboarding.facility_staff_add(facility=esrf, user=at_esrf)
    for staff, theirs, other in ((at_ill, ill, esrf), (at_esrf, esrf, ill)):
        client.force_login(staff)
        assert client.get(f"{DASHBOARDS}/facilities/{theirs.pk}/").status_code == 200
        assert client.get(f"{DASHBOARDS}/facilities/{other.pk}/").status_code == 404
        listing = client.get(f"{DASHBOARDS}/facilities/").text
        assert f"/facilities/{theirs.pk}/" in listing and f"/facilities/{other.pk}/" not in listing
    trainer = UserFactory(username="trainer")
    trainer.groups.add(courses.trainers_group_setup())
    client.force_login(trainer)
    for facility in (ill, esrf):
        assert client.get(f"{DASHBOARDS}/facilities/{facility.pk}/").status_code == 404
    assert client.get(f"{DASHBOARDS}/facilities/").status_code == 302  # Wagtail's "permission denied"


def test_a_group_named_after_a_facility_grants_nothing(client, world):
    """The old rule (a group "Facility staff: <short name>") is gone: FacilityStaff is the only one."""
    ill = FacilityFactory(short_name="ILL")
    user = _admin_user("grouped")
    user.groups.add(Group.objects.create(name="Facility staff: ILL"))
    client.force_login(user)
    assert client.get(f"{DASHBOARDS}/facilities/{ill.pk}/").status_code == 404


def test_another_trainers_course_is_a_404(client, world, catalogue):
    other = _admin_user("other")
    theirs = CoursePageFactory(parent=catalogue, title="Their own course")
    courses.course_grant_editing(course=theirs, user=other)
    client.force_login(other)
    assert client.get(f"{DASHBOARDS}/courses/{world['course'].pk}/").status_code == 404
    assert client.get(f"{DASHBOARDS}/courses/{world['course'].pk}/", {"csv": "students"}).status_code == 404
    listing = client.get(f"{DASHBOARDS}/courses/").text
    assert "Their own course" in listing and "Neutron diffraction basics" not in listing
    refused = client.get(f"{DASHBOARDS}/facilities/")  # not facility staff: Wagtail's "permission denied"
    assert refused.status_code == 302 and refused["Location"] == "/admin/"


def test_students_cannot_reach_the_admin_dashboards(client, world):
    client.force_login(world["bob"])
    for path in ("courses/", f"courses/{world['course'].pk}/", "facilities/"):
        response = client.get(f"{DASHBOARDS}/{path}")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_superusers_see_every_course_and_facility(client, world):
    from django.contrib.auth.models import User

    facility = FacilityFactory(short_name="ISIS")
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    assert client.get(f"{DASHBOARDS}/courses/{world['course'].pk}/").status_code == 200
    assert "ISIS" in client.get(f"{DASHBOARDS}/facilities/").text
    assert "Nobody has completed a course" in client.get(f"{DASHBOARDS}/facilities/{facility.pk}/").text


@pytest.mark.django_db
def test_the_facility_records_without_a_facility_point_to_where_one_is_added(client):
    """A fresh install: no facility yet. The page links to the facilities' admin listing (it named a URL
    that a move of the model had taken away)."""
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.get("/admin/tracking/dashboards/facilities/")
    assert response.status_code == 200
    assert 'href="/admin/snippets/panlearn_facilities/facility/"' in response.text
