"""Writes of a launch: the LMS user's account (found by issuer and subject only, never by an email), the
course's enrolment, editing for an instructor only where the course's editors bound the LMS course (lti.trainers),
and what the LMS placed where (its course, its line items)."""

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.exceptions import AlreadyEnrolled, CourseNotAvailable
from courses.models import CoursePage, Enrolment, LessonPage
from courses.selectors import page_is_public
from courses.services import enrolment_create
from exercises.models import Exercise
from exercises.selectors import exercise_on

from .claims import Launch
from .exceptions import LaunchRefused
from .models import ContextMember, LineItem, LtiContext, LtiIdentity, Platform
from .trainers import Training, training_apply

_NOT_IN_USERNAME = re.compile(r"[^\w.+-]+", re.ASCII)


def _unique_username(launch: Launch) -> str:
    ascii_text = unicodedata.normalize("NFKD", launch.given_name or launch.name).encode("ascii", "ignore").decode()
    base = _NOT_IN_USERNAME.sub("-", ascii_text.lower()).strip(".-+_")[:100] or "lms-user"
    username, counter = base, 1
    while User.objects.filter(username__iexact=username).exists():
        counter += 1
        username = f"{base}-{counter}"
    return username


def identity_create(*, platform: Platform, launch: Launch) -> LtiIdentity:
    """A new account for an LMS user seen for the first time. The LMS's email is kept on the identity only:
    an address nobody confirmed here must not reach invitations or other accounts (accounts.ConfirmedEmail).
    If the identity was made meanwhile (another launch, a roster sync), that one is used."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=_unique_username(launch), password=None,
                                            first_name=(launch.given_name or launch.name)[:150])  # fmt: skip
            return LtiIdentity.objects.create(platform=platform, subject=launch.subject, user=user, name=launch.name,
                                              email=launch.email, last_launch_at=timezone.now())  # fmt: skip
    except IntegrityError:
        identity = LtiIdentity.objects.select_related("user").filter(platform=platform, subject=launch.subject).first()
        if identity is None:
            raise
        return identity


@transaction.atomic
def identity_link(*, platform: Platform, launch: Launch, user) -> LtiIdentity:
    """Link an LMS user to the panlearn account signed in now, which the user chose explicitly."""
    identity = LtiIdentity.objects.select_for_update().filter(platform=platform, subject=launch.subject).first()
    if identity is not None and identity.user_id != user.pk:
        raise LaunchRefused("This LMS account is already linked to another panlearn account.", status=409)
    if identity is None:
        identity = LtiIdentity(platform=platform, subject=launch.subject, user=user)
    identity.name, identity.email, identity.last_launch_at = launch.name, launch.email, timezone.now()
    identity.save()
    return identity


def identity_touch(identity: LtiIdentity, launch: Launch) -> None:
    identity.name, identity.email, identity.last_launch_at = launch.name, launch.email, timezone.now()
    identity.save(update_fields=["name", "email", "last_launch_at"])


def launch_target(launch: Launch) -> tuple[CoursePage, object, Exercise | None]:
    """The course, the page to open and the exercise (if one) a placement names; refused if it names none,
    or a page that is not a live course or lesson, or an exercise not on that lesson."""
    from wagtail.models import Page

    if launch.page_id is None:
        raise LaunchRefused("This LMS link does not say which panlearn page to open. Place it again with "
                            "“Select content” in the LMS.")  # fmt: skip
    page = Page.objects.live().filter(pk=launch.page_id).specific().first()
    if isinstance(page, LessonPage):
        course = page.course
    elif isinstance(page, CoursePage):
        course = page
    else:
        raise LaunchRefused("The panlearn page this link opens no longer exists or is not published.", status=404)
    if not course.live or not page_is_public(course):
        raise LaunchRefused("The panlearn course this link opens is not published.", status=404)
    exercise = None
    if launch.exercise_id is not None:
        exercise = exercise_on(page, launch.exercise_id)
        if exercise is None:
            raise LaunchRefused("The exercise this link opens is no longer on its lesson.", status=404)
    return course, page, exercise


def course_join(*, user, course: CoursePage) -> None:
    """Enrol an LMS user under the course's own policy, an instructor too (editing is lti.trainers' to give,
    and only where the course's editors said so). An invitation-only course is not opened by an LMS: the LMS's
    roles and custom parameters are typed by its teachers, not by this course's editors."""
    if Enrolment.objects.filter(user=user, course=course, is_active=True).exists():
        return  # enrolled already (perhaps invited): nothing to check again
    try:
        enrolment_create(user=user, course=course)
    except AlreadyEnrolled:
        pass
    except CourseNotAvailable as error:
        raise LaunchRefused("This panlearn course is by invitation only; ask its trainers for an invitation.",
                            status=403) from error  # fmt: skip


def context_record(*, platform: Platform, launch: Launch, course: CoursePage) -> LtiContext | None:
    if not launch.context_id:
        return None
    try:
        with transaction.atomic():
            context, _ = LtiContext.objects.get_or_create(platform=platform, context_id=launch.context_id,
                                                          course=course)  # fmt: skip
    except IntegrityError:  # two launches at once
        context = LtiContext.objects.get(platform=platform, context_id=launch.context_id, course=course)
    changed = (launch.context_title, launch.memberships_url or context.memberships_url)
    if (context.title, context.memberships_url) != changed:
        context.title, context.memberships_url = changed
        context.save(update_fields=["title", "memberships_url", "updated_at"])
    return context


def membership_record(*, identity: LtiIdentity, context_id: str) -> None:
    """The LMS user is in this LMS course: its line items may receive their scores."""
    if context_id:
        ContextMember.objects.get_or_create(identity=identity, context_id=context_id)


def line_item_record(*, platform: Platform, launch: Launch, exercise: Exercise, course: CoursePage) -> LineItem | None:
    """The line item a launch of an exercise carries (the one the LMS made from the deep link's lineItem). A
    column, once recorded, keeps its exercise and LMS course: a later launch naming the same URL for another
    exercise or course (custom parameters are typed by teachers) must not re-point another column's scores."""
    if not launch.lineitem_url:
        return None
    values = {"exercise": exercise, "course": course, "context_id": launch.context_id}
    with transaction.atomic():
        line_item, created = LineItem.objects.get_or_create(platform=platform, url=launch.lineitem_url, defaults=values)
    if not created and not line_item.context_id and (line_item.exercise_id, line_item.course_id) == (
            exercise.pk, course.pk):  # fmt: skip
        line_item.context_id = launch.context_id  # recorded before line items knew their LMS course
        line_item.save(update_fields=["context_id"])
    if not created and (line_item.exercise_id, line_item.course_id, line_item.context_id) != (
            exercise.pk, course.pk, launch.context_id):  # fmt: skip
        raise LaunchRefused("This LMS gradebook column belongs to another panlearn exercise or LMS course.",
                            status=409)  # fmt: skip
    return line_item


@dataclass(frozen=True)
class Applied:
    page: object  # the lesson or course to open
    course: CoursePage
    training: Training


@transaction.atomic
def launch_apply(*, identity: LtiIdentity, launch: Launch) -> Applied:
    """Everything a verified resource-link launch changes: the page to open, and whether the user trains."""
    course, page, exercise = launch_target(launch)
    course_join(user=identity.user, course=course)
    context = context_record(platform=identity.platform, launch=launch, course=course)
    membership_record(identity=identity, context_id=launch.context_id)
    if exercise is not None:
        line_item_record(platform=identity.platform, launch=launch, exercise=exercise, course=course)
    training = training_apply(user=identity.user, context=context, role=launch.role)
    return Applied(page=page, course=course, training=training)
