"""Reads for the progress dashboards: aggregations of the built-in statement store.

What students did (activity, lesson and course completion, attempts, scores, passes) comes from
StoredStatement, the store the outbox feeds; who is enrolled and what a course contains come from
the models, their source of truth. Voided statements never count. A statement is matched to a user
through the actor keys the user's events are recorded under (the pseudonym, or `mailto:` the email),
so nothing here needs names in the statements. Definitions are in docs/trainer.md ("Dashboards").
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.db.models.fields.json import KT
from wagtail.permission_policies.pages import PagePermissionPolicy

from accounts.selectors import reportable_emails
from courses.models import CoursePage, Enrolment, LessonPage
from exercises.gradebook import STUCK_ATTEMPTS
from exercises.models import Exercise
from exercises.selectors import page_exercise_ids
from facilities.models import Facility
from tracking import identity
from tracking.models import StoredStatement
from tracking.selectors import counted_statements
from tracking.xapi import vocabulary as v

ACTIVE_DAYS = 7  # "active": any statement in the course in the last 7 days
INACTIVE_DAYS = 14  # default of "no activity for N days" (the trainer may choose another N)
SCORE_BINS = ("0–19 %", "20–39 %", "40–59 %", "60–79 %", "80–100 %")
ATTEMPT_BINS = ("1", "2", "3", "4", "5+")
_KIND = f"payload__result__extensions__{v.SUBMISSION_KIND}"


# Who may see what --------------------------------------------------------------------------------


def trainer_courses(user) -> QuerySet[CoursePage]:
    """Courses the user may edit (Wagtail's page permissions: superusers, a course's editors group,
    a Trainers member's own courses): the courses whose dashboards they see."""
    pages = PagePermissionPolicy().instances_user_has_any_permission_for(user, ["change", "publish"])
    return CoursePage.objects.filter(pk__in=pages.values("pk")).order_by("title", "pk")


# Statements, per student -------------------------------------------------------------------------


def _key_map(users) -> dict[str, int]:
    users = list(users)
    emails = reportable_emails(users)  # one query for all, not one per user
    return {key: user.pk for user in users for key in identity.actor_keys(user.pk, email=emails.get(user.pk, ""))}


@dataclass
class Facts:
    """What the store says one student did in one course."""

    last_activity: datetime | None = None
    done_lessons: set[str] = field(default_factory=set)  # lesson IRIs
    completed_at: datetime | None = None  # first course completion
    attempts: dict[str, int] = field(default_factory=dict)  # exercise IRI -> submits
    best: dict[str, tuple[float, float | None, float | None]] = field(default_factory=dict)  # scaled, raw, max
    passed: set[str] = field(default_factory=set)  # exercise IRIs


def course_facts(*, course_iri: str, users, exercise_iris: Iterable[str] = ()) -> dict[int, Facts]:
    """One Facts per user, from a handful of grouped queries on the course's statements.

    Grades also count from statements about one of `exercise_iris` that carry no course (a
    trainer's override is stated without one): they are the student's grades for that exercise."""
    keys = _key_map(users)
    facts = {user.pk: Facts() for user in users}
    if not keys:
        return facts
    base = counted_statements().filter(course_iri=course_iri, voided=False, actor_key__in=list(keys))
    graded = counted_statements().filter(
        Q(course_iri=course_iri) | Q(course_iri__in=list(exercise_iris)), voided=False, actor_key__in=list(keys)
    )
    for key, last in base.values_list("actor_key").annotate(last=Max("timestamp")).values_list("actor_key", "last"):
        fact = facts[keys[key]]
        fact.last_activity = max(filter(None, (fact.last_activity, last)))
    # A lesson is done when its latest `completed` is no older than its latest `progressed` (marking a
    # lesson not done sends `progressed` alone, about that lesson).
    completed = base.filter(verb=v.COMPLETED).exclude(object_iri=course_iri).annotate(lesson=F("object_iri"))
    toggled = base.filter(verb=v.PROGRESSED).annotate(lesson=KT("payload__context__contextActivities__other__0__id"))
    done, undone = _latest(completed, keys), _latest(toggled, keys)
    for (user_id, iri), at in done.items():
        if at >= undone.get((user_id, iri), at):
            facts[user_id].done_lessons.add(iri)
    completions = base.filter(verb=v.COMPLETED, object_iri=course_iri).values_list("actor_key")
    for key, at in completions.annotate(at=Min("timestamp")).values_list("actor_key", "at"):
        fact = facts[keys[key]]
        fact.completed_at = min(filter(None, (fact.completed_at, at)))
    submits = graded.filter(verb=v.ANSWERED, **{_KIND: "submit"}).values_list("actor_key", "object_iri")
    for key, iri, count in submits.annotate(n=Count("pk")).values_list("actor_key", "object_iri", "n"):
        attempts = facts[keys[key]].attempts
        attempts[iri] = attempts.get(iri, 0) + count
    scores = graded.filter(verb=v.SCORED).annotate(
        scaled=KT("payload__result__score__scaled"), raw=KT("payload__result__score__raw"),
        top=KT("payload__result__score__max"),
    ).values_list("actor_key", "object_iri", "scaled", "raw", "top")  # fmt: skip
    for key, iri, scaled, raw, top in scores:
        if scaled is None:
            continue
        best = facts[keys[key]].best
        score = (float(scaled), _number(raw), _number(top))
        if iri not in best or score[0] > best[iri][0]:
            best[iri] = score
    for key, iri in graded.filter(verb=v.PASSED).values_list("actor_key", "object_iri").distinct():
        facts[keys[key]].passed.add(iri)
    return facts


def _latest(statements: QuerySet[StoredStatement], keys: dict[str, int]) -> dict[tuple[int, str], datetime]:
    """(user id, the `lesson` annotation) -> the latest timestamp."""
    latest: dict[tuple[int, str], datetime] = {}
    grouped = statements.values_list("actor_key", "lesson").annotate(at=Max("timestamp"))
    for key, lesson, at in grouped.values_list("actor_key", "lesson", "at"):
        latest[keys[key], lesson] = max(at, latest.get((keys[key], lesson), at))
    return latest


def _number(value) -> float | None:
    return None if value is None else float(value)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


# Course structure (from the models) --------------------------------------------------------------


@dataclass(frozen=True)
class CourseExercise:
    exercise: Exercise
    iri: str
    lesson: LessonPage | None  # None: no longer placed in a published lesson of the course


def course_exercises(course: CoursePage, *, course_iri: str) -> list[CourseExercise]:
    """The exercises of the course's published lessons, in reading order; then any exercise the
    store has grades or answers for in this course that is no longer placed in a lesson."""
    placed: dict[int, LessonPage] = {}
    for lesson in course.live_lessons:
        for pk in sorted(page_exercise_ids(lesson)):
            placed.setdefault(pk, lesson)
    prefix = identity.exercise_activity(Exercise(pk=0, title="-")).id.removesuffix("0")
    graded = counted_statements().filter(course_iri=course_iri, verb__in=(v.ANSWERED, v.SCORED))
    seen = graded.filter(object_iri__startswith=prefix).values_list("object_iri", flat=True)
    extra = {int(iri[len(prefix) :]) for iri in seen.distinct() if iri[len(prefix) :].isdigit()} - set(placed)
    exercises = Exercise.objects.in_bulk([*placed, *extra])
    rows = [CourseExercise(exercises[pk], identity.exercise_activity(exercises[pk]).id, lesson)
            for pk, lesson in placed.items() if pk in exercises]  # fmt: skip
    rows += [CourseExercise(exercises[pk], identity.exercise_activity(exercises[pk]).id, None)
             for pk in sorted(extra) if pk in exercises]  # fmt: skip
    return rows


# The trainer's course overview -------------------------------------------------------------------


@dataclass(frozen=True)
class LessonFunnel:
    number: int
    lesson: LessonPage
    completed: int
    percent: int  # of the enrolled students


@dataclass(frozen=True)
class ExerciseStats:
    exercise: Exercise
    lesson: LessonPage | None
    students: int  # who submitted at least once
    attempts: int  # submits, all students
    passed: int  # students with a standing `passed`
    mean_attempts: float | None
    mean_score: float | None  # mean of the students' best scores, in percent
    score_bins: list[tuple[str, int]]  # students by best score
    attempt_bins: list[tuple[str, int]]  # students by number of submits


@dataclass(frozen=True)
class Struggle:
    kind: str  # "stuck" or "inactive"
    detail: str


@dataclass(frozen=True)
class StudentRow:
    user: object
    enrolled_at: datetime
    lessons_done: int
    lessons_total: int
    last_activity: datetime | None
    completed_at: datetime | None
    attempts: int
    passed: int
    struggles: list[Struggle]

    @property
    def percent(self) -> int:
        return _percent(self.lessons_done, self.lessons_total)


@dataclass(frozen=True)
class CourseOverview:
    course: CoursePage
    now: datetime
    inactive_days: int
    enrolled: int
    active: int  # enrolled students with a statement in the last ACTIVE_DAYS days
    completed: int
    lessons: list[LessonFunnel]
    exercises: list[ExerciseStats]
    students: list[StudentRow]

    @property
    def active_days(self) -> int:
        return ACTIVE_DAYS

    @property
    def struggling(self) -> list[StudentRow]:
        return [row for row in self.students if row.struggles]


def _score_bin(scaled: float) -> int:
    return min(int(round(scaled * 100, 6) // 20), len(SCORE_BINS) - 1) if scaled > 0 else 0


def _exercise_stats(item: CourseExercise, facts: list[Facts]) -> ExerciseStats:
    tries = [fact.attempts[item.iri] for fact in facts if fact.attempts.get(item.iri)]
    bests = [fact.best[item.iri][0] for fact in facts if item.iri in fact.best]
    scores, attempts = [0] * len(SCORE_BINS), [0] * len(ATTEMPT_BINS)
    for scaled in bests:
        scores[_score_bin(scaled)] += 1
    for count in tries:
        attempts[min(count, len(ATTEMPT_BINS)) - 1] += 1
    return ExerciseStats(
        exercise=item.exercise,
        lesson=item.lesson,
        students=len(tries),
        attempts=sum(tries),
        passed=sum(1 for fact in facts if item.iri in fact.passed),
        mean_attempts=round(sum(tries) / len(tries), 2) if tries else None,
        mean_score=round(100 * sum(bests) / len(bests), 1) if bests else None,
        score_bins=list(zip(SCORE_BINS, scores, strict=True)),
        attempt_bins=list(zip(ATTEMPT_BINS, attempts, strict=True)),
    )


def _struggles(fact: Facts, *, exercises: list[CourseExercise], enrolled_at: datetime, now: datetime,
               inactive_days: int) -> list[Struggle]:  # fmt: skip
    """Stuck: STUCK_ATTEMPTS submits or more at an exercise without passing it. Inactive: the course
    not completed and nothing recorded in it for `inactive_days` days (since enrolling, if never)."""
    found = [
        Struggle("stuck", f"{fact.attempts[item.iri]} attempts at “{item.exercise.title}”, not passed")
        for item in exercises
        if fact.attempts.get(item.iri, 0) >= STUCK_ATTEMPTS and item.iri not in fact.passed
    ]
    last = fact.last_activity or enrolled_at
    if fact.completed_at is None and now - last >= timedelta(days=inactive_days):
        since = "since enrolling" if fact.last_activity is None else f"since {last:%Y-%m-%d}"
        found.append(Struggle("inactive", f"no activity for {(now - last).days} days ({since})"))
    return found


def course_overview(*, course: CoursePage, now: datetime, inactive_days: int = INACTIVE_DAYS) -> CourseOverview:
    """The trainer's view of one course. Students are the active enrolments; what they did in the
    course is read from the store (statements of students who left the course do not count)."""
    course_iri = identity.course_activity(course).id
    enrolments = list(
        Enrolment.objects.filter(course=course, is_active=True).select_related("user").order_by("user__username")
    )
    users = [enrolment.user for enrolment in enrolments]
    lessons = [(lesson, identity.lesson_activity(lesson).id) for lesson in course.live_lessons]
    lesson_iris = {iri for _, iri in lessons}
    exercises = course_exercises(course, course_iri=course_iri)
    exercise_iris = {item.iri for item in exercises}
    facts = course_facts(course_iri=course_iri, users=users, exercise_iris=exercise_iris)
    since = now - timedelta(days=ACTIVE_DAYS)
    funnel = []
    for number, (lesson, iri) in enumerate(lessons, 1):
        completed = sum(1 for fact in facts.values() if iri in fact.done_lessons)
        funnel.append(LessonFunnel(number, lesson, completed, _percent(completed, len(users))))
    students = []
    for enrolment in enrolments:
        fact = facts[enrolment.user_id]
        students.append(
            StudentRow(
                user=enrolment.user,
                enrolled_at=enrolment.enrolled_at,
                lessons_done=len(fact.done_lessons & lesson_iris),
                lessons_total=len(lessons),
                last_activity=fact.last_activity,
                completed_at=fact.completed_at,
                attempts=sum(n for iri, n in fact.attempts.items() if iri in exercise_iris),
                passed=len(fact.passed & exercise_iris),
                struggles=_struggles(
                    fact, exercises=exercises, enrolled_at=enrolment.enrolled_at, now=now, inactive_days=inactive_days
                ),
            )
        )
    return CourseOverview(
        course=course,
        now=now,
        inactive_days=inactive_days,
        enrolled=len(users),
        active=sum(1 for fact in facts.values() if fact.last_activity and fact.last_activity >= since),
        completed=sum(1 for fact in facts.values() if fact.completed_at),
        lessons=funnel,
        exercises=[_exercise_stats(item, list(facts.values())) for item in exercises],
        students=students,
    )


@dataclass(frozen=True)
class CourseSummary:
    course: CoursePage
    enrolled: int
    active: int
    completed: int


def course_summaries(courses, *, now: datetime) -> list[CourseSummary]:
    """Headline numbers of each course (for the list of a trainer's courses)."""
    rows = []
    since = now - timedelta(days=ACTIVE_DAYS)
    for course in courses:
        users = [e.user for e in Enrolment.objects.filter(course=course, is_active=True).select_related("user")]
        keys = _key_map(users)
        base = counted_statements().filter(
            course_iri=identity.course_activity(course).id, voided=False, actor_key__in=list(keys)
        )
        active = {keys[key] for key in base.filter(timestamp__gte=since).values_list("actor_key", flat=True).distinct()}
        done = base.filter(verb=v.COMPLETED, object_iri=identity.course_activity(course).id)
        completed = {keys[key] for key in done.values_list("actor_key", flat=True).distinct()}
        rows.append(CourseSummary(course, len(users), len(active), len(completed)))
    return rows


# The student's progress --------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonState:
    lesson: LessonPage
    done: bool


@dataclass(frozen=True)
class ExerciseResult:
    exercise: Exercise
    lesson: LessonPage | None
    attempts: int
    raw: float | None
    possible: float | None
    percent: float | None
    passed: bool


@dataclass(frozen=True)
class CourseProgress:
    course: CoursePage
    lessons: list[LessonState]
    exercises: list[ExerciseResult]
    completed_at: datetime | None
    last_activity: datetime | None

    @property
    def done(self) -> int:
        return sum(1 for state in self.lessons if state.done)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def percent(self) -> int:
        return _percent(self.done, self.total)

    @property
    def next_lesson(self) -> LessonPage | None:
        """The next step: the first lesson, in course order, not done yet."""
        return next((state.lesson for state in self.lessons if not state.done), None)


def student_progress(*, user) -> list[CourseProgress]:
    """The student's active enrolments on published courses, most recently touched first."""
    enrolments = (
        Enrolment.objects.filter(user=user, is_active=True, course__live=True)
        .select_related("course")
        .order_by("-updated_at", "pk")
    )
    rows = []
    for enrolment in enrolments:
        course = enrolment.course
        course_iri = identity.course_activity(course).id
        exercises = course_exercises(course, course_iri=course_iri)
        iris = [item.iri for item in exercises]
        fact = course_facts(course_iri=course_iri, users=[user], exercise_iris=iris)[user.pk]
        lessons = [LessonState(lesson, identity.lesson_activity(lesson).id in fact.done_lessons)
                   for lesson in course.live_lessons]  # fmt: skip
        results = []
        for item in exercises:
            scaled, raw, top = fact.best.get(item.iri, (None, None, None))
            results.append(ExerciseResult(item.exercise, item.lesson, fact.attempts.get(item.iri, 0), raw, top,
                                          None if scaled is None else round(100 * scaled, 1),
                                          item.iri in fact.passed))  # fmt: skip
        rows.append(CourseProgress(course, lessons, results, fact.completed_at, fact.last_activity))
    return rows


# The facility's completion records ---------------------------------------------------------------


@dataclass(frozen=True)
class CompletionRecord:
    user: object
    course: CoursePage
    completed_at: datetime
    email: str = ""  # the user's confirmed address; one typed at sign-up names no one


@dataclass(frozen=True)
class FacilityCourse:
    course: CoursePage
    enrolled: int  # enrolments ever, active or not
    completed: int


def facility_completions(*, facility: Facility) -> tuple[list[FacilityCourse], list[CompletionRecord]]:
    """Who completed which of the facility's courses, and when (the first course `completed`
    statement). Every enrolment counts, also of students who left the course afterwards."""
    courses, records = [], []
    for course in CoursePage.objects.filter(facility=facility).order_by("title", "pk"):
        course_iri = identity.course_activity(course).id
        users = [e.user for e in Enrolment.objects.filter(course=course).select_related("user")]
        keys = _key_map(users)
        firsts: dict[int, datetime] = {}
        done = counted_statements().filter(course_iri=course_iri, object_iri=course_iri, verb=v.COMPLETED,
                                              voided=False, actor_key__in=list(keys))  # fmt: skip
        for key, at in done.values_list("actor_key").annotate(at=Min("timestamp")).values_list("actor_key", "at"):
            firsts[keys[key]] = min(at, firsts.get(keys[key], at))
        by_id = {user.pk: user for user in users}
        records += [CompletionRecord(by_id[user_id], course, at) for user_id, at in firsts.items()]
        courses.append(FacilityCourse(course, len(users), len(firsts)))
    emails = reportable_emails(record.user for record in records)
    records = [replace(record, email=emails.get(record.user.pk, "")) for record in records]
    records.sort(key=lambda record: (-record.completed_at.timestamp(), record.user.username, record.course.title))
    return courses, records
