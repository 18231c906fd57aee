"""Writes: enrolment, invitations and progress. Views and the demo loader call these."""

from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from accounts.selectors import confirmed_email_of
from tracking import interface as tracking
from tracking.identity import registration_for

from .events import enrolments_changed
from .exceptions import AlreadyEnrolled, CourseNotAvailable, InvitationInvalid, NotEnrolled
from .models import CatalogueIndexPage, CourseInvitation, CoursePage, Enrolment, LessonCompletion, LessonPage
from .selectors import course_editors_group_name, course_progress_for, page_is_public

COURSE_EDITOR_PERMISSIONS = ("add", "change", "publish")
TRAINERS_GROUP = "Trainers"
BULK_BATCH = 500  # rows per INSERT of a bulk write
TRAINER_COLLECTION_PERMISSIONS = (
    ("wagtailimages", "add_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "choose_document"),
)
# Trainers manage the dataset registry (content app): add, edit and see unpublished datasets.
TRAINER_MODEL_PERMISSIONS = (
    ("panlearn_courses", "add_coursepage"),  # honoured by the catalogue alone (courses.permissions)
    ("panlearn_content", "add_dataset"),
    ("panlearn_content", "change_dataset"),
    ("panlearn_content", "view_dataset"),
    ("panlearn_exercises", "add_exercise"),
    ("panlearn_exercises", "change_exercise"),
    ("panlearn_exercises", "view_exercise"),
)


def _check_available(course: CoursePage) -> None:
    if not course.live or not page_is_public(course):
        raise CourseNotAvailable("This course is not open for enrolment.")


def _activate(*, user, course: CoursePage) -> Enrolment:
    # The xAPI registration is derived from the user and the course, so statements never look it up.
    registration = registration_for(user_id=user.pk, course_id=course.pk)
    enrolment, created = Enrolment.objects.get_or_create(user=user, course=course,
                                                         defaults={"registration": registration})  # fmt: skip
    if not created and enrolment.is_active:
        raise AlreadyEnrolled("You are already enrolled in this course.")
    if not created:
        enrolment.is_active = True
        enrolment.save(update_fields=["is_active", "updated_at"])
    tracking.enrolled(enrolment=enrolment)
    return enrolment


@transaction.atomic
def enrolment_create(*, user, course: CoursePage) -> Enrolment:
    """Self-enrolment on an open, published, public course."""
    _check_available(course)
    if course.enrolment_policy != "open":
        # Only a confirmed address matches an invitation: sign-up takes any address (accounts.ConfirmedEmail).
        email = confirmed_email_of(user)
        pending = CourseInvitation.objects.filter(course=course, email__iexact=email, accepted_at__isnull=True)
        if not (email and pending.exists()):
            raise CourseNotAvailable("This course is by invitation only.")
        return invitation_accept(invitation=pending.first(), user=user)
    try:
        with transaction.atomic():
            return _activate(user=user, course=course)
    except IntegrityError as error:  # two concurrent clicks: the second loses the race
        raise AlreadyEnrolled("You are already enrolled in this course.") from error


@transaction.atomic
def enrolment_deactivate(*, user, course: CoursePage) -> Enrolment:
    """Unenrol. Completed lessons are kept so that re-enrolling resumes where the student left."""
    enrolment = Enrolment.objects.select_for_update().filter(user=user, course=course, is_active=True).first()
    if enrolment is None:
        raise NotEnrolled("You are not enrolled in this course.")
    enrolment.is_active = False
    enrolment.save(update_fields=["is_active", "updated_at"])
    return enrolment


def invitation_create(*, course: CoursePage, email: str, invited_by=None) -> CourseInvitation:
    invitation, _ = CourseInvitation.objects.get_or_create(
        course=course, email=email.strip().lower(), defaults={"invited_by": invited_by}
    )
    return invitation


def invitation_send(*, invitation: CourseInvitation, base_url: str) -> None:
    """Email the one-time link; the console backend prints it in the demo."""
    link = base_url.rstrip("/") + reverse("courses:invitation_accept", args=[invitation.token])
    send_mail(
        subject=f"You are invited to {invitation.course.title}",
        message=(
            f'You have been invited to the course "{invitation.course.title}".\n\n'
            f"Sign in or create an account, then open this link to enrol:\n{link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_accept(*, invitation: CourseInvitation, user) -> Enrolment:
    """An invitation link works once, for whoever holds it and is signed in."""
    invitation = CourseInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None and invitation.accepted_by_id != user.pk:
        raise InvitationInvalid("This invitation has already been used.")
    _check_available(invitation.course)
    enrolment = Enrolment.objects.filter(user=user, course=invitation.course, is_active=True).first()
    if enrolment is None:
        enrolment = _activate(user=user, course=invitation.course)
    if invitation.accepted_at is None:
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return enrolment


@transaction.atomic
def lesson_complete(*, user, lesson: LessonPage) -> LessonCompletion:
    """Mark a lesson done; idempotent. Only enrolled students make progress."""
    if not Enrolment.objects.filter(user=user, course=lesson.course, is_active=True).exists():
        raise NotEnrolled("Enrol in the course to record your progress.")
    completion, created = LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    if created:
        progress = course_progress_for(course=lesson.course, user=user)
        with tracking.batch():
            tracking.lesson_progressed(user=user, lesson=lesson, completed=True, progress=progress.percent)
            if progress.is_complete:
                tracking.course_completed(user=user, course=lesson.course)
    return completion


@transaction.atomic
def lesson_uncomplete(*, user, lesson: LessonPage) -> None:
    deleted, _ = LessonCompletion.objects.filter(user=user, lesson=lesson).delete()
    if deleted:
        progress = course_progress_for(course=lesson.course, user=user)
        tracking.lesson_progressed(user=user, lesson=lesson, completed=False, progress=progress.percent)


def course_editors_group(course: CoursePage) -> Group:
    """A group per course whose members may edit and publish the course and all its lessons."""
    group, created = Group.objects.get_or_create(name=course_editors_group_name(course))
    if created:
        for codename in COURSE_EDITOR_PERMISSIONS:
            GroupPagePermission.objects.create(group=group, page=course, permission_type=codename)
    return group


def course_grant_editing(*, course: CoursePage, user) -> None:
    user.groups.add(course_editors_group(course))


def course_revoke_editing(*, course: CoursePage, user) -> None:
    """Out of the course's editors group; never creates the group (the course may be being deleted)."""
    user.groups.remove(*Group.objects.filter(name=course_editors_group_name(course)))


@transaction.atomic
def trainers_group_setup() -> Group:
    """Trainers reach the admin, create courses in the catalogue and edit the ones they own.

    They hold no page permission on the catalogue: Wagtail would extend it to every course below.
    Creating a course is a model permission the catalogue honours (courses.permissions); editing
    and publishing a whole course (lessons included) comes from that course's editors group.
    """
    group, _ = Group.objects.get_or_create(name=TRAINERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    group_permissions_grant(group, models=TRAINER_MODEL_PERMISSIONS, collections=TRAINER_COLLECTION_PERMISSIONS)
    return group


def group_permissions_grant(group: Group, *, models, collections) -> None:
    """Model permissions, `(app_label, codename)` (one of an app that is not installed is skipped: the content
    app is optional), and the same kind of pairs as permissions on the root collection (images, documents)."""
    for app_label, codename in models:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)
    root_collection = Collection.get_first_root_node()
    for app_label, codename in collections:
        GroupCollectionPermission.objects.get_or_create(
            group=group,
            collection=root_collection,
            permission=Permission.objects.get(content_type__app_label=app_label, codename=codename),
        )


def _publish(page, *, user) -> None:
    page.save_revision(user=user, log_action=True).publish(user=user)


@transaction.atomic
def catalogue_create(*, site_root, title: str, intro: str = "", user=None) -> CatalogueIndexPage:
    catalogue = CatalogueIndexPage(title=title, slug="courses", intro=intro, owner=user)
    site_root.add_child(instance=catalogue)
    _publish(catalogue, user=user)
    return catalogue


@transaction.atomic
def course_create(
    *, catalogue: CatalogueIndexPage, owner, instructors=(), publish: bool = True, **fields
) -> CoursePage:
    """Create a course as a trainer would in the admin: owned, revisioned, optionally published."""
    from .models import CourseInstructor

    course = CoursePage(owner=owner, **fields)
    course.instructors = [CourseInstructor(**person) for person in instructors]
    catalogue.add_child(instance=course)
    if publish:
        _publish(course, user=owner)
    else:
        course.save_revision(user=owner, log_action=True)
    return course


@transaction.atomic
def lesson_create(*, course: CoursePage, owner, publish: bool = True, **fields) -> LessonPage:
    lesson = LessonPage(owner=owner, **fields)
    course.add_child(instance=lesson)
    if publish:
        _publish(lesson, user=owner)
    else:
        lesson.save_revision(user=owner, log_action=True)
    return lesson


def enrolments_bulk_apply(*, create: list[Enrolment], reactivate: list[tuple[int, int]], users, now) -> None:
    """Many enrolments at once (a facility's bulk invitations): `create` new rows (their registration set
    with `registration_for`), `reactivate` (user id, course id) pairs, then tell the listeners which
    `users` changed. A few queries per 500 rows; no post_save is sent, `enrolments_changed` is."""
    Enrolment.objects.bulk_create(create, batch_size=BULK_BATCH, ignore_conflicts=True)
    for user_id, course_id in reactivate:
        Enrolment.objects.filter(user_id=user_id, course_id=course_id).update(is_active=True, updated_at=now)
    users = list({user.pk: user for user in users}.values())
    if users:
        enrolments_changed.send(sender=Enrolment, users=users)
