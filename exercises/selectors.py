"""Reads for live code cells: a lesson's cells, who may run them, and what a student saved."""

from dataclasses import dataclass

from django.core.cache import cache

from content.selectors import lesson_dataset_slugs
from courses.selectors import active_enrolment, page_is_public

from .models import CellDraft
from .plan_versions import plan_versions

CELL_BLOCK = "code_cell"


def code_cells(page) -> dict:
    """The lesson's code cells by id, in page order (StreamField block ids are stable across edits)."""
    return {block.id: block.value for block in getattr(page, "body", None) or [] if block.block_type == CELL_BLOCK}


@dataclass(frozen=True)
class RunAccess:
    allowed: bool
    store: bool  # whether the student's code is saved (signed-in readers) or not (visitors)
    why: str = ""
    editor: bool = False  # may keep a run's output as the cell's example output


def is_course_editor(*, user, course) -> bool:
    """May edit the course (and its lessons): from the user's cached page permissions, without the
    workflow queries a full `can_edit()` makes for users who have no permission at all."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return bool({"change", "publish"} & course.permissions_for_user(user).permissions)


def run_access(*, user, page) -> RunAccess:
    """Who may run this lesson's cells: enrolled students and the course's editors, visitors where allowed."""
    course = page.get_parent().specific
    if is_course_editor(user=user, course=course):
        return RunAccess(True, True, editor=True)  # editors run drafts and previews too
    unpublished_ancestor = page.get_ancestors().filter(depth__gt=1, live=False).exists()
    if not page.live or unpublished_ancestor or not page_is_public(page):
        return RunAccess(False, False, "This lesson is not published.")
    if user.is_authenticated and active_enrolment(course=course, user=user):
        return RunAccess(True, True)
    if getattr(course, "open_to_visitors", False):
        return RunAccess(True, user.is_authenticated, "")
    return RunAccess(False, False, "Enrol in the course to run its code cells.")


def lesson_for(*, user, page_id: int):
    """The lesson as this user runs it: the live version, or for its editors the latest draft (preview)."""
    from courses.models import LessonPage

    page = LessonPage.objects.filter(pk=page_id).first()
    if page is None:
        return None
    if is_course_editor(user=user, course=page.get_parent().specific):
        return page.get_latest_revision_as_object()
    return page if page.live else None


def mounted_datasets(page, cell) -> list[str]:
    """The lesson's datasets plus the cell's own, public ones only."""
    slugs = lesson_dataset_slugs(page)
    for dataset in cell["datasets"] if cell is not None else []:
        if dataset is not None and dataset.is_public and dataset.slug not in slugs:
            slugs.append(dataset.slug)
    return slugs


def lesson_datasets(page) -> list[str]:
    """Every dataset any cell of the lesson mounts: one kernel serves all the lesson's cells."""
    slugs = lesson_dataset_slugs(page)
    for cell in code_cells(page).values():
        for slug in mounted_datasets(page, cell):
            if slug not in slugs:
                slugs.append(slug)
    return slugs


def setup_code(page) -> str:
    """The hidden setup of all the lesson's cells, in page order."""
    return "\n\n".join(cell["setup_code"] for cell in code_cells(page).values() if cell["setup_code"].strip())


def saved_code_for(*, request, page) -> dict[str, str]:
    """The student's saved code per cell of this page (read once per request)."""
    cache = request.__dict__.setdefault("_panlearn_cell_drafts", {})
    if page.pk not in cache:
        user = request.user
        cache[page.pk] = (
            dict(CellDraft.objects.filter(user=user, page_id=page.pk).values_list("cell_id", "code"))
            if user.is_authenticated
            else {}
        )
    return cache[page.pk]


# -- what a run needs, cached ----------------------------------------------------------------------
#
# Every run needs the same answers: may this user run this lesson's cells, what does each cell hold,
# which datasets and setup code go with them. They change only when the lesson is published or the
# user's enrolment changes, so they are kept in the cache under version numbers that those events bump
# (plan_versions.py, bumped by the receivers in signals.py), and a run costs no database query beyond
# the session's.

PLAN_TTL = 300


@dataclass(frozen=True)
class LessonRef:
    """The lesson, as far as a run needs it (its id), without a database row."""

    pk: int


@dataclass(frozen=True)
class PageFacts:
    """What a learning record of a run names: a page's id and title, kept in the cached run plan."""

    pk: int
    title: str


def run_plan(*, user, page_id: int, runner_key: str) -> dict | None:
    """The lesson's run facts for this user, from the cache when nothing changed: None if no such lesson."""
    versions = plan_versions(page_id=page_id, runner_key=runner_key)
    key = f"panlearn:cells:plan:{runner_key}:{page_id}:{versions[0]}:{versions[1]}"
    plan = cache.get(key)
    if plan is None:
        page = lesson_for(user=user, page_id=page_id)
        if page is None:
            return None
        access = run_access(user=user, page=page)
        plan = {
            "allowed": access.allowed,
            "store": access.store,
            "editor": access.editor,
            "why": access.why,
            "cells": {
                cell_id: {"code": cell["code"], "read_only": cell["read_only"]}
                for cell_id, cell in code_cells(page).items()
            },
            "setup": setup_code(page),
            "datasets": lesson_datasets(page),
            # For the run's xAPI statement, so that recording it reads no page.
            "lesson": PageFacts(pk=page.pk, title=page.title),
            "course": _course_facts(page),
        }
        # Editors run the latest draft, which changes without a publish: theirs is not cached.
        if not access.editor:
            cache.set(key, plan, timeout=PLAN_TTL)
    return plan


def _course_facts(page) -> PageFacts:
    course = page.course
    return PageFacts(pk=course.pk, title=course.title)


# -- exercises ------------------------------------------------------------------------------------


def released_solution(*, exercise, course, now=None) -> dict | None:
    """The reference solution, once the policy of `course` releases it (after the deadline); else None.

    The one rule for the lesson's HTML and the JSON endpoints alike. Hidden tests are never part of it.
    """
    from django.utils import timezone

    from .grading_policy import policy_for
    from .policies import solution_visible
    from .quiz_specs import answer_text

    if not solution_visible(policy_for(exercise, course), now or timezone.now()):
        return None
    if exercise.kind == "quiz":
        answers = [{"question": f"Question {number}", "prompt": question.prompt,
                    "answer": answer_text(question.kind, question.spec)}
                   for number, question in enumerate(exercise.questions.all(), 1)]  # fmt: skip
        return {"answers": answers}
    if exercise.kind == "free_response":
        return {"text": exercise.solution_code} if exercise.solution_code.strip() else None
    return {"code": exercise.solution_code}


def quiz_questions_for(exercise, answers: dict | None = None) -> list[dict]:
    """The quiz as the page shows it: prompts, option texts and units, never which option is right;
    the student's last answers filled in."""
    from .quiz_specs import public_view

    answers = answers or {}
    questions = []
    for number, question in enumerate(exercise.questions.all(), 1):
        key, public = str(question.pk), public_view(question.kind, question.spec)
        given = answers.get(key)
        chosen = set(given) if isinstance(given, list) else {given}
        options = [{**option, "checked": option["id"] in chosen} for option in public.get("options", [])]
        questions.append({"id": key, "number": number, "kind": question.kind, "prompt": question.prompt,
                          "points": question.points, "options": options, "unit": public.get("unit", ""),
                          "value": given if isinstance(given, str) else ""})  # fmt: skip
    return questions


def exercise_state_for(*, user, exercise, course=None, now=None) -> dict:
    """What the exercise block shows: the policy in force, the student's last graded result, their
    code, their attempts, and the reference solution once released."""
    from django.utils import timezone

    from .grading_policy import policy_for
    from .models import ExerciseProgress, Submission, SubmissionStatus
    from .policies import is_late

    now = now or timezone.now()
    policy = policy_for(exercise, course)
    state = {
        "policy": policy,
        "max_attempts": policy.max_attempts,
        "deadline": policy.deadline,
        "past_deadline": is_late(policy, now),
        "solution": released_solution(exercise=exercise, course=course, now=now),
    }
    if not user.is_authenticated:
        if exercise.kind == "quiz":
            state["questions"] = quiz_questions_for(exercise)
        return {**state, "shown_code": exercise.starter_code, "attempts_used": 0, "last": None, "pending": None}
    last = (
        Submission.objects.filter(user=user, exercise=exercise, status=SubmissionStatus.GRADED)
        .order_by("-submitted_at")
        .first()
    )
    latest = Submission.objects.filter(user=user, exercise=exercise).order_by("-submitted_at").first()
    progress = ExerciseProgress.objects.filter(user=user, exercise=exercise).values_list("attempts_used", flat=True)
    if exercise.kind == "quiz":
        state["questions"] = quiz_questions_for(exercise, latest.answers if latest else None)
    return {
        **state,
        "pending": latest if latest and latest.status == SubmissionStatus.AWAITING else None,
        "shown_code": latest.code if latest is not None else exercise.starter_code,
        "attempts_used": progress.first() or 0,
        "last": last,
    }


def page_exercise_ids(page) -> set[int]:
    return {
        block.value["exercise"].pk
        for block in getattr(page, "body", None) or []
        if block.block_type == "exercise" and block.value["exercise"] is not None
    }
