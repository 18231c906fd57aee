"""LMS instructors as trainers of a panlearn course, with the course's editors' consent.

An LMS's roles are typed by its teachers, and a placement's course by anyone who can type a custom parameter,
so a launch alone never makes anyone an editor. An editor of the course first binds one LMS course (platform and
context) to it; from then on a verified launch of an Instructor or ContentDeveloper of that LMS course, into that
course, makes them one of its editors. Each grant is recorded (TrainerGrant), so revoking the binding takes back
what launches gave and leaves what panlearn gave. The roster never grants; it takes back the grants of those it no
longer lists as active instructors (lti.roster)."""

import enum

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from courses.selectors import is_course_editor
from courses.services import (
    TRAINER_COLLECTION_PERMISSIONS,
    course_grant_editing,
    course_revoke_editing,
    group_permissions_grant,
)

from .claims import INSTRUCTOR
from .models import LtiContext, TrainerGrant
from .selectors import approvable_courses

LMS_TRAINERS_GROUP = "LMS co-trainers"
# What editing one course needs besides its page permissions: the admin, images and documents, and exercises
# (scoped to the courses one edits). Choosing a dataset in a lesson needs no model permission (Wagtail's snippet
# chooser asks for admin access only), so not even view_dataset: the registry's listing, unpublished datasets
# included, is for platform trainers. Nor creating courses.
LMS_TRAINER_MODEL_PERMISSIONS = (
    ("wagtailadmin", "access_admin"),
    ("panlearn_exercises", "add_exercise"),
    ("panlearn_exercises", "change_exercise"),
    ("panlearn_exercises", "view_exercise"),
)


class Training(enum.Enum):
    """What a launch did about training the course: told in the launched page."""

    NONE = "none"
    GRANTED = "granted"
    AWAITING_APPROVAL = "awaiting approval"


def lms_trainers_group() -> Group:
    """Admin access for those who train a course through an LMS only; lti adds and removes its members."""
    group, created = Group.objects.get_or_create(name=LMS_TRAINERS_GROUP)
    if created:
        group_permissions_grant(group, models=LMS_TRAINER_MODEL_PERMISSIONS, collections=TRAINER_COLLECTION_PERMISSIONS)
    return group


def _check_approver(context: LtiContext, user) -> None:
    if not approvable_courses(user).filter(pk=context.course_id).exists():
        raise PermissionDenied


def _locked(context: LtiContext) -> LtiContext:
    """The context's row, locked until the transaction ends: a launch granting through the binding and a
    revoke taking it back take this lock in turn, so a launch that read the binding before a revoke committed
    cannot grant after it (the revoke withdraws what the launch made, or the launch sees the binding gone)."""
    return LtiContext.objects.select_for_update(of=("self",)).select_related("course").get(pk=context.pk)


def _binding_set(context: LtiContext, *, instructors_train: bool, by, at) -> LtiContext:
    locked = _locked(context)
    for target in (locked, context):
        target.instructors_train, target.bound_by, target.bound_at = instructors_train, by, at
    locked.save(update_fields=["instructors_train", "bound_by", "bound_at", "updated_at"])
    return locked


@transaction.atomic
def context_bind(*, context: LtiContext, by) -> None:
    """An editor of the course lets this LMS course's instructors train it, from their next launch."""
    _check_approver(context, by)
    _binding_set(context, instructors_train=True, by=by, at=timezone.now())


@transaction.atomic
def context_unbind(*, context: LtiContext, by) -> int:
    """An editor of the course takes the binding back, and with it every grant its launches made; the number
    of people who no longer train through it."""
    _check_approver(context, by)
    locked = _binding_set(context, instructors_train=False, by=None, at=None)
    return grants_withdraw(locked.trainer_grants.all())


@transaction.atomic
def roster_withdraw(*, context: LtiContext, instructors: set[int]) -> int:
    """After a complete roster of the LMS course: take back its grants from everyone it does not list as an
    active instructor (`instructors`: their user ids); never grants. The number withdrawn."""
    locked = _locked(context)
    return grants_withdraw(locked.trainer_grants.exclude(user_id__in=instructors))


def grants_withdraw(grants) -> int:
    """Take back launch-made grants. The editors-group membership goes only if a launch made it and no other
    bound LMS course still grants it; the LMS trainers group only when the user trains nothing through an LMS."""
    withdrawn = 0
    for grant in list(grants.select_related("context__course", "user")):
        user, course = grant.user, grant.context.course
        grant.delete()
        withdrawn += 1
        if grant.made_editor:
            heir = TrainerGrant.objects.filter(user=user, context__course=course).first()
            if heir is None:
                course_revoke_editing(course=course, user=user)
            elif not heir.made_editor:  # the membership now stands on the other LMS course's grant
                heir.made_editor = True
                heir.save(update_fields=["made_editor"])
        if not TrainerGrant.objects.filter(user=user).exists():
            user.groups.remove(*Group.objects.filter(name=LMS_TRAINERS_GROUP))
    return withdrawn


@transaction.atomic
def training_apply(*, user, context: LtiContext | None, role: str) -> Training:
    """A verified resource-link launch's effect on training: an instructor of a bound LMS course edits the
    course; one of an unbound LMS course is told to ask for the binding; someone the LMS no longer calls an
    instructor loses what an earlier launch from that LMS course gave."""
    if context is None:
        return Training.NONE
    if role != INSTRUCTOR:
        grants_withdraw(TrainerGrant.objects.filter(context=context, user=user))
        return Training.NONE
    context = _locked(context)  # as committed now, not as the launch first read it (the caller's transaction)
    if not context.instructors_train:
        return Training.AWAITING_APPROVAL
    if not user.is_active:
        return Training.NONE
    # The binding stands for every instructor of the LMS course: one taken out of the editors in panlearn since
    # is an editor again (to keep someone out, revoke the binding or their LMS role).
    made_editor = not is_course_editor(course=context.course, user=user)
    if made_editor:
        course_grant_editing(course=context.course, user=user)
    grant, created = TrainerGrant.objects.get_or_create(context=context, user=user,
                                                        defaults={"made_editor": made_editor})  # fmt: skip
    if not created and made_editor and not grant.made_editor:
        grant.made_editor = True
        grant.save(update_fields=["made_editor"])
    user.groups.add(lms_trainers_group())
    return Training.GRANTED
