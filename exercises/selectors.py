"""Reads for live code cells: a lesson's cells, who may run them, and what a student saved."""

from dataclasses import dataclass

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html

from content.selectors import lesson_dataset_slugs
from courses.selectors import active_enrolment, can_edit_course, page_is_public

from .models import CellDraft

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


def run_access(*, user, page) -> RunAccess:
    """Who may run this lesson's cells: enrolled students and the course's editors, visitors where allowed."""
    course = page.get_parent().specific
    if user.is_authenticated and can_edit_course(course=course, user=user):
        return RunAccess(True, True, editor=True)  # editors run drafts and previews too
    if not page.live or not page_is_public(page):
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
    course = page.get_parent().specific
    if user.is_authenticated and can_edit_course(course=course, user=user):
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


def lesson_context(*, page, request) -> dict:
    """What the lesson template needs for live cells: the container's attributes and the bundles."""
    if not code_cells(page):
        return {}
    access = run_access(user=request.user, page=page)
    attrs = format_html(
        ' data-cells data-base-url="{}" data-csrf-token="{}" data-store="{}" data-can-run="{}" data-why="{}"'
        ' data-can-keep-examples="{}"',
        reverse("exercises:cells_base", args=[page.pk]),
        get_token(request),
        "true" if access.store else "false",
        "true" if access.allowed else "false",
        access.why,
        "true" if access.editor else "false",
    )
    return {
        "lesson_body_attrs": attrs,
        "lesson_assets": {"css": ["panlearn/dist/cells.css"], "js": ["panlearn/dist/cells.js"]},
    }
