"""Reads for live code cells: a lesson's cells, who may run them, what a student saved, and the cached
run plan."""

from dataclasses import dataclass

from django.core.cache import cache

from accounts.second_factor import second_factor_pending
from content.selectors import lesson_dataset_slugs
from courses.selectors import active_enrolment, page_is_public

from .models import CellDraft, CellDraftVersion
from .parameters import plan_parameters
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
    editor = user.is_superuser or bool({"change", "publish"} & course.permissions_for_user(user).permissions)
    return editor and not second_factor_pending(user)  # a password alone opens no draft


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
    # "plan3": the cells carry their parameters, which older plans lack. "plan2": plans cached before the cells
    # app hold PageFacts pickled under exercises.selectors, which no longer exists; a shared cache would fail to
    # load them for PLAN_TTL after an upgrade.
    key = f"panlearn:cells:plan3:{runner_key}:{page_id}:{versions[0]}:{versions[1]}"
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
                cell_id: {
                    "code": cell["code"],
                    "read_only": cell["read_only"],
                    "parameters": plan_parameters(cell.get("parameters")),
                }
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


def drafts_of(*, user, page):
    return CellDraft.objects.filter(user=user, page=page)


def draft_versions(*, user, page, cell_id: str):
    """The earlier versions of the user's code in one cell, newest first."""
    return CellDraftVersion.objects.filter(draft__user=user, draft__page=page, draft__cell_id=cell_id)
