import pytest
from django.contrib.auth.models import Group
from wagtail.models import PageViewRestriction

from courses import services
from courses.blocks import video_embed_src
from tests.factories import LessonPageFactory

pytestmark = pytest.mark.django_db


def test_course_page_is_readable_without_login(client, course):
    response = client.get(course.url)
    assert response.status_code == 200
    assert "Sign up" in response.text
    assert "Lesson 1" in response.text


def test_lesson_of_a_course_not_enrolled_in_shows_the_enrol_prompt(student_client, lessons):
    lessons[0].body = [("text", "<p>Secret physics</p>")]
    lessons[0].save_revision().publish()
    response = student_client.get(lessons[0].url)
    assert response.status_code == 200
    assert "Enrol in this course" in response.text
    assert "Secret physics" not in response.text


def test_enrolled_student_reads_the_lesson_with_navigation(student_client, student, course, lessons):
    lessons[1].body = [("text", "<p>Kiessig fringes</p>"), ("maths", {"latex": r"Q = 4\pi", "caption": ""})]
    lessons[1].save_revision().publish()
    services.enrolment_create(user=student, course=course)
    response = student_client.get(lessons[1].url)
    assert "Kiessig fringes" in response.text
    assert 'data-latex="Q = 4\\pi"' in response.text
    assert response.context["previous_lesson"].pk == lessons[0].pk
    assert response.context["next_lesson"].pk == lessons[2].pk
    assert "Lesson 2 of 3" in response.text


def test_first_and_last_lessons_have_one_neighbour(student_client, student, course, lessons):
    services.enrolment_create(user=student, course=course)
    assert student_client.get(lessons[0].url).context["previous_lesson"] is None
    assert student_client.get(lessons[2].url).context["next_lesson"] is None


def test_unpublished_course_and_its_lessons_are_404(student_client, student, course, lessons):
    services.enrolment_create(user=student, course=course)
    course.unpublish(set_expired=False, commit=True)
    for page in (course, *lessons):
        response = student_client.get(f"/{page.slug}/" if page is course else page.get_url_parts()[2])
        assert response.status_code == 404


def test_group_restricted_course_is_404_for_others(student_client, student, course, lessons):
    restriction = PageViewRestriction.objects.create(page=course, restriction_type=PageViewRestriction.GROUPS)
    staff = Group.objects.create(name="Beamline staff")
    restriction.groups.add(staff)
    assert student_client.get(course.url).status_code == 404
    assert student_client.get(lessons[0].url).status_code == 404
    student.groups.add(staff)
    assert student_client.get(course.url).status_code == 200


def test_password_restricted_course_is_404_not_a_password_form(client, course):
    PageViewRestriction.objects.create(page=course, restriction_type=PageViewRestriction.PASSWORD, password="pw")
    assert client.get(course.url).status_code == 404


def test_unknown_url_gets_the_styled_404(client, catalogue):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Browse the course catalogue" in response.text


def test_my_courses_lists_progress_and_resume_link(student_client, student, course, lessons):
    services.enrolment_create(user=student, course=course)
    services.lesson_complete(user=student, lesson=lessons[0])
    response = student_client.get("/learn/my-courses/")
    assert "33 %" in response.text
    assert "Continue: Lesson 2" in response.text


def test_my_courses_empty_state(student_client):
    assert "not enrolled in any course yet" in student_client.get("/learn/my-courses/").text


def test_draft_lesson_is_not_listed_or_counted(student_client, student, course, lessons):
    draft = LessonPageFactory(parent=course, title="Draft lesson", live=False)
    services.enrolment_create(user=student, course=course)
    response = student_client.get(course.url)
    assert "Draft lesson" not in response.text
    assert student_client.get(draft.get_url_parts()[2]).status_code == 404


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://example.org/talk.mp4", "https://example.org/talk.mp4"),
        ("http://www.youtube.com/watch?v=dQw4w9WgXcQ", None),
        ("https://www.youtube.com/watch?v=<script>", None),
        ("https://example.org/page.html", None),
    ],
)
def test_video_links_become_safe_embeds(url, expected):
    assert video_embed_src(url) == expected


def test_draft_changes_stay_hidden_until_published(client, course):
    course.summary = "Draft summary, not yet public"
    course.save_revision()
    assert "Draft summary" not in client.get(course.url).text
    course.get_latest_revision().publish()
    assert "Draft summary" in client.get(course.url).text


def test_scheduled_course_goes_live_at_its_time(client, catalogue):
    import time
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from tests.factories import CoursePageFactory

    course = CoursePageFactory(parent=catalogue, title="Scheduled course", slug="scheduled", live=False)
    course.go_live_at = timezone.now() + timedelta(seconds=1)
    course.save_revision().publish()  # a future go-live date makes this a scheduled publication
    assert client.get("/scheduled/").status_code == 404
    assert "Scheduled course" not in client.get(catalogue.url).text
    time.sleep(1.2)
    call_command("publish_scheduled", verbosity=0)
    assert client.get("/scheduled/").status_code == 200
    assert "Scheduled course" in client.get(catalogue.url).text
