"""Reads: what an instructor may place, an exercise's counting score, where a score goes, which LMS courses an
editor may let train."""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from courses.models import CoursePage
from courses.selectors import catalogue_materials, editable_courses
from exercises.models import Exercise, ExerciseKind, GradeOverride, Submission, SubmissionKind, SubmissionStatus
from exercises.policy_rules import best_score
from exercises.selectors import page_exercise_ids

from .models import ContextMember, LineItem, LtiContext, LtiIdentity, TrainerGrant


def placeable_content() -> list[dict]:
    """Published public courses, their public lessons and the exercises on them, in site order."""
    rows = []
    for course, lessons in catalogue_materials():
        entries = []
        for lesson in lessons:
            lesson = lesson.specific
            exercises = Exercise.objects.filter(pk__in=page_exercise_ids(lesson)).order_by("title")
            entries.append({"lesson": lesson, "exercises": list(exercises)})
        rows.append({"course": course, "lessons": entries})
    return rows


def maximum_points(exercise: Exercise) -> Decimal:
    if exercise.kind == ExerciseKind.QUIZ:
        return sum((question.points for question in exercise.questions.all()), Decimal(0))
    if exercise.kind == ExerciseKind.FREE_RESPONSE:
        return exercise.response_points
    return sum((test.points for test in exercise.tests.all()), Decimal(0))


def counting_score(*, user, exercise: Exercise) -> tuple[Decimal | None, Decimal | None, bool]:
    """(score, possible, awaiting a trainer) as the gradebook counts it: the newest override, else the best
    graded submit under the exercise's policy."""
    submits = Submission.objects.filter(exercise=exercise, user=user, kind=SubmissionKind.SUBMIT)
    best = best_score(submits.filter(status=SubmissionStatus.GRADED))
    awaiting = submits.filter(status=SubmissionStatus.AWAITING).exists()
    possible = best.possible if best is not None else maximum_points(exercise)
    override = GradeOverride.objects.filter(exercise=exercise, user=user).order_by("-set_at").first()
    if override is not None:
        return override.points, possible, False
    return (best.points if best is not None else None), possible, awaiting


def score_destinations(*, user, exercise: Exercise, course=None) -> list[tuple[LineItem, LtiIdentity]]:
    """The line items of this exercise in LMS courses the user was launched in or is listed in (another
    teacher's LMS course on the same platform gets nothing), on platforms where the user has an identity.
    A submission from one course's lesson goes to that course's columns only."""
    identities = {identity.platform_id: identity for identity in LtiIdentity.objects.filter(user=user)}
    if not identities:
        return []
    memberships = set(ContextMember.objects.filter(identity__in=identities.values()).values_list(
        "identity__platform_id", "context_id"))  # fmt: skip
    line_items = LineItem.objects.filter(exercise=exercise, platform_id__in=identities).exclude(context_id="")
    if course is not None:
        line_items = line_items.filter(Q(course__isnull=True) | Q(course=course))
    return [
        (line_item, identities[line_item.platform_id])
        for line_item in line_items.select_related("platform")
        if line_item.platform.is_active and (line_item.platform_id, line_item.context_id) in memberships
    ]


def contexts_with_roster() -> list:
    return list(LtiContext.objects.exclude(memberships_url="").filter(platform__is_active=True))


def approvable_courses(user) -> QuerySet:
    """The courses whose LMS courses the user may let train: those they edit, except where only a launch made
    them an editor (an LMS course's instructor does not open the course to other LMS courses' instructors)."""
    courses = editable_courses(user)
    if getattr(user, "is_superuser", False):
        return courses
    return courses.exclude(pk__in=TrainerGrant.objects.filter(user=user, made_editor=True).values("context__course"))


def trains_through_an_lms_only(*, user, page) -> CoursePage | None:
    """The course `page` is, is in or holds that the user edits only because a launch made them one of its
    editors (as approvable_courses reads it), if any; never for superusers. Such a co-trainer edits, publishes
    and unpublishes, but neither deletes nor moves (lti.wagtail_hooks): deleting a lesson deletes its
    completions, deleting the course its enrolments, and Wagtail keeps no trash."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    courses = CoursePage.objects.ancestor_of(page, inclusive=True) | CoursePage.objects.descendant_of(page)
    grants = TrainerGrant.objects.filter(user=user, made_editor=True, context__course__in=courses)
    grant = grants.select_related("context__course").order_by("pk").first()
    return grant.context.course if grant is not None else None


def contexts_editable_by(user) -> QuerySet[LtiContext]:
    """The LMS courses placed in the courses the user may approve for (every one for superusers), with how many
    people train through each now."""
    return (LtiContext.objects.filter(course__in=approvable_courses(user))
            .select_related("platform", "course", "bound_by").annotate(trainers=Count("trainer_grants")))  # fmt: skip
