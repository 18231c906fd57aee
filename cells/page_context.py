"""What the lesson page's template needs for live cells (declared as `lesson_context` on the AppConfig,
called by courses' LessonPage.get_context). Part of serving the page, so it may save the visitor's
session, which a selector must not."""

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html

from .selectors import code_cells, run_access


def cells_runtime(*, page, request) -> dict:
    """The lesson container's attributes and the bundles that run the page's cells and exercises (the
    exercises app asks for it too: its blocks run on the same page script). Made once per request and
    page, however many apps ask."""
    made = request.__dict__.setdefault("_panlearn_cells_runtime", {})
    if page.pk not in made:
        made[page.pk] = _runtime(page=page, request=request)
    return made[page.pk]


def _runtime(*, page, request) -> dict:
    access = run_access(user=request.user, page=page)
    if access.allowed and not request.user.is_authenticated and not request.session.session_key:
        request.session.save()  # the visitor's kernel is keyed by this session; runs never make one
    attrs = format_html(
        ' data-cells data-base-url="{}" data-csrf-token="{}" data-store="{}" data-can-run="{}" data-why="{}"'
        ' data-can-keep-examples="{}"',
        reverse("cells:cells_base", args=[page.pk]),
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


def lesson_context(*, page, request) -> dict:
    return cells_runtime(page=page, request=request) if code_cells(page) else {}
