"""Passes are recorded when the facts change: a graded submit, a trainer's override, a lesson done.

Receivers rather than calls from `exercises` and `courses`: those apps stay unaware of onboarding.
Each evaluation runs in the event's transaction (a savepoint guards it), so a status read right
after a grade already sees the pass.
"""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from courses.models import LessonCompletion
from exercises.models import GradeOverride, Submission, SubmissionKind, SubmissionStatus
from facilities.models import FacilityStaff

from .models import Programme
from .services import facility_staff_group, programme_evaluate_safely


def _evaluate(user, programmes) -> None:
    for programme in programmes:
        programme_evaluate_safely(user=user, programme=programme)


def _programmes_assessed_by(exercise_id: int):
    return Programme.objects.filter(
        Q(courses__final_assessment_id=exercise_id) | Q(refresher_assessment_id=exercise_id)
    ).distinct()


@receiver(post_save, sender=Submission)
def submission_saved(sender, instance: Submission, raw: bool = False, **kwargs) -> None:
    if raw or instance.kind != SubmissionKind.SUBMIT or instance.status != SubmissionStatus.GRADED:
        return
    _evaluate(instance.user, _programmes_assessed_by(instance.exercise_id))


@receiver(post_save, sender=GradeOverride)
def override_saved(sender, instance: GradeOverride, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        _evaluate(instance.user, _programmes_assessed_by(instance.exercise_id))


@receiver(post_save, sender=LessonCompletion)
def lesson_done(sender, instance: LessonCompletion, created: bool, raw: bool = False, **kwargs) -> None:
    """A refresher without its own assessment is completed by doing its lessons."""
    if not created or raw:
        return
    course_id = instance.lesson.get_parent().pk
    _evaluate(instance.user, Programme.objects.filter(refresher_course_id=course_id, refresher_assessment__isnull=True))


@receiver(post_save, sender=FacilityStaff)
def staff_added(sender, instance: FacilityStaff, created: bool, raw: bool = False, **kwargs) -> None:
    """However the row is made (admin, shell, a later import), the user gets the staff group."""
    if created and not raw:
        instance.user.groups.add(facility_staff_group())


@receiver(post_delete, sender=FacilityStaff)
def staff_removed(sender, instance: FacilityStaff, **kwargs) -> None:
    if not FacilityStaff.objects.filter(user_id=instance.user_id).exists():
        instance.user.groups.remove(facility_staff_group())
