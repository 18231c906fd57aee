"""A published lesson holding one exercise, opened in the browser by an enrolled student."""

import json

from django.test import Client
from wagtail.models import Page, Site

from courses.services import enrolment_create
from tests.factories import CatalogueIndexPageFactory, CoursePageFactory, LessonPageFactory, UserFactory


def open_exercise_lesson(asgi_page, asgi_server, exercise, *, title: str, slug: str, **course_fields):
    """`course_fields` set the course's own fields (e.g. its grading policy) before the lesson is made."""
    catalogue = CatalogueIndexPageFactory(parent=Page.get_first_root_node())
    Site.objects.filter(is_default_site=True).update(root_page=catalogue)
    course = CoursePageFactory(parent=catalogue, title="Scattering", slug="scattering")
    if course_fields:
        for name, value in course_fields.items():
            setattr(course, name, value)
        course.save()
    lesson = LessonPageFactory(parent=course, title=title, slug=slug)
    lesson.body = json.dumps([{"type": "exercise", "value": {"exercise": exercise.pk}}])
    lesson.save_revision().publish()
    student = UserFactory(username="lise")
    enrolment_create(user=student, course=course)
    client = Client()
    client.force_login(student)
    asgi_page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                    "url": asgi_server}])  # fmt: skip
    asgi_page.goto(f"{asgi_server}{lesson.url}")
    return asgi_page
