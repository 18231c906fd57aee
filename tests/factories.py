"""Factories shared across the suite: users and the course page tree."""

import factory
import wagtail_factories
from django.contrib.auth.models import User
from factory.django import DjangoModelFactory

from courses import services as courses
from courses.models import CatalogueIndexPage, CoursePage, LessonPage
from facilities.models import Facility


class UserFactory(DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    class Meta:
        model = User
        skip_postgeneration_save = True

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def confirmed(obj, create, extracted, **kwargs):
        """An established account: its address confirmed, unless `confirmed=False` (a fresh sign-up's)."""
        if create and obj.email and extracted is not False:
            from accounts.models import ConfirmedEmail

            ConfirmedEmail.objects.get_or_create(user=obj, email=obj.email.lower(), defaults={"how": "administrator"})


class FacilityFactory(DjangoModelFactory):
    short_name = factory.Sequence(lambda n: f"FAC{n}")
    name = factory.LazyAttribute(lambda facility: f"{facility.short_name} light source")

    class Meta:
        model = Facility
        django_get_or_create = ("short_name",)


class CatalogueIndexPageFactory(wagtail_factories.PageFactory):
    title = "Courses"
    slug = "courses"

    class Meta:
        model = CatalogueIndexPage


class CoursePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    summary = "A course for tests."
    level = "beginner"
    technique = "diffraction"
    estimated_minutes = 90

    class Meta:
        model = CoursePage


class LessonPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Lesson {n}")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    summary = "A lesson for tests."

    class Meta:
        model = LessonPage


def trainer_of(catalogue, username: str, *courses_edited) -> User:
    """A member of the trainers group who edits `courses_edited` and nothing else."""
    user = UserFactory(username=username)
    user.groups.add(courses.trainers_group_setup())
    for course in courses_edited:
        courses.course_grant_editing(course=course, user=user)
    return user
