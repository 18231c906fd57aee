"""Reads: whose training is valid until when, what a user still has to do, and what staff may see.

Status comes from the recorded periods (ProgrammeCompletion), so reads are a query or two; the
facts behind a pass (`facts_for`) are gathered only for what is missing and by the services.
The export, certificates and reminders build on `validity`, `programme_status_for` and
`experiment_checklists`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from courses.models import CoursePage, Enrolment, LessonCompletion
from exercises.models import Exercise, ExerciseKind, GradeOverride, Submission, SubmissionKind, SubmissionStatus
from exercises.policy_rules import Attempt, best_score
from facilities.selectors import staff_facility_ids

from . import status as rules
from .models import Experiment, Participant, Programme, ProgrammeCompletion, ProgrammeCourse


def _expiring_days() -> int:
    return settings.PANLEARN_ONBOARDING_EXPIRING_DAYS


def assessments_staffed_by(user) -> set[int]:
    """The final and refresher assessments of the programmes of the user's facilities: their staff
    manage them (grades, overrides) as the courses' editors do (exercises/access.py)."""
    ids = staff_facility_ids(user)
    if ids is None or not ids:
        return set()  # superusers manage every exercise anyway
    finals = ProgrammeCourse.objects.filter(programme__facility_id__in=ids).values_list(
        "final_assessment_id", flat=True
    )
    refreshers = Programme.objects.filter(facility_id__in=ids, refresher_assessment__isnull=False).values_list(
        "refresher_assessment_id", flat=True
    )
    return set(finals) | set(refreshers)


# -- the facts behind a pass -----------------------------------------------------------------------


def reaches(points, possible, pass_mark: int) -> bool:
    return possible is not None and Decimal(possible) > 0 and Decimal(points) * 100 >= Decimal(pass_mark) * possible


def _possible_of(exercise: Exercise) -> Decimal:
    if exercise.kind == ExerciseKind.QUIZ:
        return sum((q.points for q in exercise.questions.all()), Decimal(0))
    if exercise.kind == ExerciseKind.FREE_RESPONSE:
        return exercise.response_points
    return sum((t.points for t in exercise.tests.all()), Decimal(0))


def pass_moments(*, user, exercise: Exercise, pass_mark: int, course_id: int | None) -> list[datetime]:
    """When the user passed the exercise: each graded submit or override that reached the pass mark
    while the counting score did (the gradebook's rule: best submit, unless the newest override).
    Only submits made in the programme's own course count: the same exercise placed in another
    course (whose editors may not clear anyone for this facility) passes nothing here."""
    submits = list(
        Submission.objects.filter(exercise=exercise, user=user, kind=SubmissionKind.SUBMIT, course_id=course_id,
                                  status=SubmissionStatus.GRADED, points__isnull=False)
        .values_list("submitted_at", "points", "possible")
    )  # fmt: skip
    overrides = list(GradeOverride.objects.filter(exercise=exercise, user=user).values_list("set_at", "points"))
    if not submits and not overrides:
        return []
    possible = max((p for _, _, p in submits if p is not None), default=None) or _possible_of(exercise)
    events = sorted([(at, points, "submit") for at, points, _ in submits] + [(at, points, "override")
                                                                             for at, points in overrides])  # fmt: skip
    seen: list[Attempt] = []
    override = None
    moments = []
    for at, points, kind in events:
        if kind == "override":
            override = points
        else:
            seen.append(Attempt(attempt_number=len(seen) + 1, submitted_at=at, points=points))
        best = best_score(seen)
        counting = override if override is not None else (best.points if best else None)
        if reaches(points, possible, pass_mark) and reaches(counting, possible, pass_mark):
            moments.append(at)
    return moments


def refresher_moments(*, user, programme: Programme) -> list[datetime]:
    """When the user completed the refresher: each pass of its assessment, or (without one) the
    moment the last of its published lessons was marked done."""
    if programme.refresher_course_id is None:
        return []
    if programme.refresher_assessment_id is not None:
        return pass_moments(
            user=user,
            exercise=programme.refresher_assessment,
            pass_mark=programme.refresher_pass_mark,
            course_id=programme.refresher_course_id,
        )
    lessons = [lesson.pk for lesson in programme.refresher_course.specific.live_lessons]
    done = list(
        LessonCompletion.objects.filter(user=user, lesson_id__in=lessons).values_list("completed_at", flat=True)
    )
    return [max(done)] if lessons and len(done) == len(lessons) else []


def programme_courses(programme: Programme) -> list[ProgrammeCourse]:
    return list(programme.courses.select_related("course", "final_assessment").order_by("sort_order", "pk"))


def _course_ids(programme: Programme, rows: list[ProgrammeCourse]) -> list[int]:
    return [row.course_id for row in rows] + ([programme.refresher_course_id] if programme.refresher_course_id else [])


def has_started(*, user, programme: Programme, rows: list[ProgrammeCourse] | None = None) -> bool:
    rows = programme_courses(programme) if rows is None else rows
    exercises = [row.final_assessment_id for row in rows]
    return (
        Enrolment.objects.filter(user=user, course_id__in=_course_ids(programme, rows)).exists()
        or Submission.objects.filter(user=user, exercise_id__in=exercises).exists()
    )


def facts_for(*, user, programme: Programme, rows: list[ProgrammeCourse] | None = None) -> rules.Facts:
    rows = programme_courses(programme) if rows is None else rows
    return rules.Facts(
        validity_months=programme.validity_months,
        passes=[
            pass_moments(user=user, exercise=row.final_assessment, pass_mark=row.pass_mark, course_id=row.course_id)
            for row in rows
        ],
        refreshed_at=refresher_moments(user=user, programme=programme),
        started=has_started(user=user, programme=programme, rows=rows),
    )


def recorded_periods(*, user, programme: Programme) -> list[ProgrammeCompletion]:
    return list(ProgrammeCompletion.objects.filter(user=user, programme=programme).order_by("passed_at"))


def as_period(completion: ProgrammeCompletion) -> rules.Period:
    return rules.Period(completion.passed_at, completion.valid_until, rules.Renewal(completion.via))


def latest_completion(*, user, programme: Programme, now: datetime | None = None) -> ProgrammeCompletion | None:
    """The recorded period that reaches furthest, among those begun by `now`."""
    now = now or timezone.now()
    return (
        ProgrammeCompletion.objects.filter(user=user, programme=programme, passed_at__lte=now)
        .order_by("-valid_until")
        .first()
    )


def programme_status_for(*, user, programme: Programme, now: datetime | None = None) -> rules.Status:
    """The user's status in the programme at `now`, from the recorded periods."""
    now = now or timezone.now()
    completion = latest_completion(user=user, programme=programme, now=now)
    started = completion is not None or has_started(user=user, programme=programme)
    period = as_period(completion) if completion else None
    return rules.status_of(period, started=started, now=now, expiring_days=_expiring_days())


# -- who is valid until when (exports, certificates, reminders) --------------------------------------


@dataclass(frozen=True)
class Validity:
    user_id: int
    programme_id: int
    valid_until: datetime
    state: rules.State


def validity(
    *, programmes: Iterable[Programme] | QuerySet | None = None, users: Iterable | QuerySet | None = None,
    now: datetime | None = None,
) -> list[Validity]:  # fmt: skip
    """For every user and programme with a recorded pass: until when it is (or was) valid, and its
    state at `now` (valid, expiring soon or expired). One grouped query."""
    now = now or timezone.now()
    rows = ProgrammeCompletion.objects.filter(passed_at__lte=now)
    if programmes is not None:
        rows = rows.filter(programme__in=programmes)
    if users is not None:
        rows = rows.filter(user__in=users)
    grouped = rows.values("user_id", "programme_id").annotate(until=Max("valid_until"))
    grouped = grouped.order_by("programme_id", "user_id")
    found = []
    for row in grouped:
        period = rules.Period(now, row["until"])  # only the end matters to the state
        state = rules.status_of(period, started=True, now=now, expiring_days=_expiring_days()).state
        found.append(Validity(row["user_id"], row["programme_id"], row["until"], state))
    return found


def required_programmes(participant: Participant) -> list[Programme]:
    """The programmes the participant must hold for the experiment: its facility's programmes with a
    requirement matching the participant's role and the experiment's instrument and type."""
    experiment = participant.experiment
    programmes = Programme.objects.filter(facility_id=experiment.facility_id).prefetch_related("requirements")
    return [
        programme
        for programme in programmes
        if any(
            requirement.matches(role=participant.role, instrument=experiment.instrument,
                                experiment_type=experiment.experiment_type)
            for requirement in programme.requirements.all()
        )
    ]  # fmt: skip


# -- what a user still has to do ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing to do: a course whose assessment is not passed yet, and where to go next."""

    course: CoursePage
    label: str
    url: str


@dataclass(frozen=True)
class ProgrammeRow:
    programme: Programme
    status: rules.Status
    steps: list[Step] = field(default_factory=list)

    @property
    def next_step(self) -> Step | None:
        return self.steps[0] if self.steps else None


def _step(*, user, course: CoursePage, exercise_id: int | None, verb: str) -> Step:
    """Where to go in a course: the course page to enrol, else the first lesson not done, else the
    lesson with the final assessment."""
    from exercises.selectors import page_exercise_ids

    course = course.specific
    if not Enrolment.objects.filter(user=user, course=course, is_active=True).exists():
        return Step(course, f"{verb}: {course.title}", course.url)
    lessons = course.live_lessons
    done = set(
        LessonCompletion.objects.filter(user=user, lesson__in=[lesson.pk for lesson in lessons]).values_list(
            "lesson_id", flat=True
        )
    )
    todo = next((lesson for lesson in lessons if lesson.pk not in done), None)
    if todo is not None:
        return Step(course, f"Continue: {todo.title}", todo.url)
    with_test = next((lesson for lesson in lessons if exercise_id in page_exercise_ids(lesson)), None)
    target = with_test or course
    return Step(course, f"Take the final assessment of {course.title}", target.url)


def programme_row(*, user, programme: Programme, now: datetime | None = None) -> ProgrammeRow:
    now = now or timezone.now()
    status = programme_status_for(user=user, programme=programme, now=now)
    if status.state == rules.State.VALID:
        return ProgrammeRow(programme, status)
    rows = programme_courses(programme)
    if status.state in (rules.State.EXPIRED, rules.State.EXPIRING_SOON):
        if programme.refresher_course_id:
            step = _step(user=user, course=programme.refresher_course, exercise_id=programme.refresher_assessment_id,
                         verb="Renew with")  # fmt: skip
            return ProgrammeRow(programme, status, [step])
        steps = [_step(user=user, course=row.course, exercise_id=row.final_assessment_id, verb="Renew with")
                 for row in rows]  # fmt: skip
        return ProgrammeRow(programme, status, steps)
    facts = facts_for(user=user, programme=programme, rows=rows)
    missing = [row for row, moments in zip(rows, facts.passes, strict=True) if not any(m <= now for m in moments)]
    steps = [_step(user=user, course=row.course, exercise_id=row.final_assessment_id, verb="Start") for row in missing]
    return ProgrammeRow(programme, status, steps)


@dataclass(frozen=True)
class Checklist:
    """A participant's "ready for your experiment?" list."""

    participant: Participant
    rows: list[ProgrammeRow]

    @property
    def experiment(self) -> Experiment:
        return self.participant.experiment

    @property
    def ready(self) -> bool:
        return all(row.status.state.is_valid for row in self.rows)

    @property
    def missing(self) -> list[ProgrammeRow]:
        return [row for row in self.rows if not row.status.state.is_valid]


def experiment_checklists(*, user, now: datetime | None = None, include_past: bool = False) -> list[Checklist]:
    """Each experiment the user takes part in (upcoming ones unless `include_past`), with the status
    of every programme it requires of them."""
    now = now or timezone.now()
    participations = Participant.objects.filter(user=user).select_related("experiment__facility")
    if not include_past:
        participations = participations.filter(experiment__start_date__gte=timezone.localdate(now))
    return [
        Checklist(
            participant, [programme_row(user=user, programme=p, now=now) for p in required_programmes(participant)]
        )
        for participant in participations.order_by("experiment__start_date")
    ]


def my_programmes(*, user, now: datetime | None = None) -> list[ProgrammeRow]:
    """Programmes that concern the user: required by their experiments, passed before, or with a course
    they are enrolled in."""
    now = now or timezone.now()
    required = {p.pk for participant in Participant.objects.filter(user=user).select_related("experiment")
                for p in required_programmes(participant)}  # fmt: skip
    enrolled = Enrolment.objects.filter(user=user, is_active=True).values("course_id")
    programmes = (
        Programme.objects.filter(
            Q(pk__in=required) | Q(completions__user=user) | Q(courses__course_id__in=enrolled)
            | Q(refresher_course_id__in=enrolled)
        )
        .select_related("facility", "refresher_course")
        .distinct()
    )  # fmt: skip
    return [programme_row(user=user, programme=programme, now=now) for programme in programmes]
