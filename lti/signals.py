"""Scores go to the LMS when the grade changes: a graded or awaiting submit (a regrade saves it again) and a
trainer's override. Receivers rather than calls from exercises, which stays unaware of LTI. A placement deleted
takes back the editing its launches gave."""

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from exercises.models import GradeOverride, Submission, SubmissionKind, SubmissionStatus

from .models import LtiContext
from .scores import score_deliveries_create
from .trainers import grants_withdraw


@receiver(post_save, sender=Submission)
def submission_saved(sender, instance: Submission, raw: bool = False, **kwargs) -> None:
    if raw or instance.kind != SubmissionKind.SUBMIT:
        return
    if instance.status not in (SubmissionStatus.GRADED, SubmissionStatus.AWAITING):
        return
    score_deliveries_create(user=instance.user, exercise=instance.exercise, course=instance.course)


@receiver(post_save, sender=GradeOverride)
def override_saved(sender, instance: GradeOverride, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        score_deliveries_create(user=instance.user, exercise=instance.exercise)


@receiver(pre_delete, sender=LtiContext)
def context_deleting(sender, instance: LtiContext, **kwargs) -> None:
    """A placement deleted (by hand, or with its platform or course) takes back the editing its launches gave."""
    grants_withdraw(instance.trainer_grants.all())
