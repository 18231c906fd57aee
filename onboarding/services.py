"""Writes: recorded passes and expiries (with their xAPI statements), and facility staff."""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from facilities.models import FacilityStaff
from tracking import interface as tracking

from . import selectors
from . import status as rules
from .events import completion_expired
from .models import Experiment, Participant, Programme, ProgrammeCompletion, Role

logger = logging.getLogger(__name__)

FACILITY_STAFF_GROUP = "Facility staff"
# What facility staff do in the admin; every list and form is narrowed to their own facilities.
STAFF_PERMISSIONS = (
    ("wagtailadmin", "access_admin"),
    *(("panlearn_onboarding", f"{action}_{model}") for model in ("programme", "experiment", "participant")
      for action in ("add", "change", "delete", "view")),
    ("panlearn_onboarding", "view_programmecompletion"),
    ("panlearn_facilities", "view_facilitystaff"),
)  # fmt: skip


@transaction.atomic
def programme_evaluate(*, user, programme: Programme, now: datetime | None = None) -> list[ProgrammeCompletion]:
    """Record the validity periods the user has earned in the programme and not yet recorded: a first
    pass, then renewals. Each new period gets a `passed` statement; a renewal after a lapse the
    expiry sweep has not seen yet records that expiry first. Recorded periods are never changed."""
    now = now or timezone.now()
    # One evaluation per user and programme at a time: lock the user's latest row, if any.
    recorded = list(
        ProgrammeCompletion.objects.select_for_update().filter(user=user, programme=programme).order_by("passed_at")
    )
    latest = recorded[-1] if recorded else None
    facts = selectors.facts_for(user=user, programme=programme)
    earned = rules.periods(
        facts,
        now=now,
        expiring_days=settings.PANLEARN_ONBOARDING_EXPIRING_DAYS,
        after=selectors.as_period(latest) if latest else None,
    )
    created = []
    for period in earned:
        if latest is not None and latest.expiry_recorded_at is None and latest.valid_until <= period.valid_from:
            _record_expiry(latest, now=now)
        latest = ProgrammeCompletion.objects.create(
            user=user, programme=programme, passed_at=period.valid_from, valid_until=period.valid_until,
            via=period.via.value, renewed_from=latest,
        )  # fmt: skip
        tracking.programme_passed(latest)
        created.append(latest)
    return created


def programme_evaluate_safely(*, user, programme: Programme) -> None:
    """For signal receivers: grading and lesson progress must never fail because of onboarding."""
    try:
        with transaction.atomic():
            programme_evaluate(user=user, programme=programme)
    except Exception:
        logger.exception("onboarding: could not evaluate %s for user %s", programme, getattr(user, "pk", None))


def programme_evaluate_all(*, programme: Programme, now: datetime | None = None) -> int:
    """Every user with a graded attempt at one of the programme's assessments (after the programme
    was created or changed: passes earned before it existed are recorded too)."""
    from django.contrib.auth import get_user_model

    from exercises.models import GradeOverride, Submission

    exercises = [row.final_assessment_id for row in selectors.programme_courses(programme)]
    user_ids = set(Submission.objects.filter(exercise_id__in=exercises).values_list("user_id", flat=True))
    user_ids |= set(GradeOverride.objects.filter(exercise_id__in=exercises).values_list("user_id", flat=True))
    count = 0
    for user in get_user_model().objects.filter(pk__in=user_ids):
        count += len(programme_evaluate(user=user, programme=programme, now=now))
    return count


def _record_expiry(completion: ProgrammeCompletion, *, now: datetime) -> bool:
    """Mark the period expired once (whoever gets there first) and state it."""
    updated = ProgrammeCompletion.objects.filter(pk=completion.pk, expiry_recorded_at__isnull=True).update(
        expiry_recorded_at=now
    )
    if updated:
        completion.expiry_recorded_at = now
        tracking.programme_expired(completion)
        completion_expired.send(sender=ProgrammeCompletion, completion=completion)
    return bool(updated)


def expiry_sweep(*, now: datetime | None = None) -> int:
    """Record every period that has ended and was not renewed before its end (run on a schedule:
    `manage.py onboarding tick` or the `expire_completions` task)."""
    now = now or timezone.now()
    renewed_in_time = ProgrammeCompletion.objects.filter(
        renewed_from=OuterRef("pk"), passed_at__lt=OuterRef("valid_until")
    )
    due = (
        ProgrammeCompletion.objects.filter(valid_until__lte=now, expiry_recorded_at__isnull=True)
        .exclude(Exists(renewed_in_time))
        .select_related("user", "programme__facility")
        .order_by("valid_until")
    )
    count = 0
    for completion in due.iterator():
        with transaction.atomic():
            count += _record_expiry(completion, now=now)
    return count


# -- programmes, experiments and participants (the demo loader and the bulk invitation use these) ----


@transaction.atomic
def programme_create(
    *, facility, name: str, courses, description: str = "", validity_months: int = 12, requirements=(),
    refresher_course=None, refresher_assessment=None, refresher_pass_mark: int = 80,
) -> Programme:  # fmt: skip
    """`courses`: (course, final assessment, pass mark in percent) in order; `requirements`: dicts of
    role, instrument, experiment_type (empty matches anything)."""
    from .models import ProgrammeCourse, ProgrammeRequirement

    programme = Programme(facility=facility, name=name, description=description, validity_months=validity_months,
                          refresher_course=refresher_course, refresher_assessment=refresher_assessment,
                          refresher_pass_mark=refresher_pass_mark)  # fmt: skip
    programme.courses = [ProgrammeCourse(course=course, final_assessment=exercise, pass_mark=mark, sort_order=i)
                         for i, (course, exercise, mark) in enumerate(courses)]  # fmt: skip
    programme.requirements = [ProgrammeRequirement(sort_order=i, **fields) for i, fields in enumerate(requirements)]
    programme.full_clean()
    for row in [*programme.courses.all(), *programme.requirements.all()]:
        row.full_clean(exclude=["programme"])
    programme.save()
    programme_evaluate_all(programme=programme)
    return programme


def experiment_create(*, facility, proposal: str, title: str, start_date, instrument: str = "",
                      experiment_type: str = "") -> Experiment:  # fmt: skip
    experiment = Experiment(facility=facility, proposal=proposal.strip(), title=title, start_date=start_date,
                            instrument=instrument.strip(), experiment_type=experiment_type.strip())  # fmt: skip
    experiment.full_clean()
    experiment.save()
    return experiment


def participant_add(*, experiment: Experiment, user, role: str = Role.EXPERIMENTER) -> Participant:
    """Idempotent: adding someone again updates their role."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; one of {', '.join(Role.values)}.")
    participant, _ = Participant.objects.update_or_create(experiment=experiment, user=user, defaults={"role": role})
    return participant


# -- facility staff ----------------------------------------------------------------------------------


def facility_staff_group() -> Group:
    group, _ = Group.objects.get_or_create(name=FACILITY_STAFF_GROUP)
    for app_label, codename in STAFF_PERMISSIONS:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)
    return group


@transaction.atomic
def facility_staff_add(*, facility, user) -> FacilityStaff:
    staff, _ = FacilityStaff.objects.get_or_create(facility=facility, user=user)
    user.groups.add(facility_staff_group())
    return staff


@transaction.atomic
def facility_staff_remove(*, facility, user) -> None:
    FacilityStaff.objects.filter(facility=facility, user=user).delete()
    if not FacilityStaff.objects.filter(user=user).exists():
        user.groups.remove(facility_staff_group())
