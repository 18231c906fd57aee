"""What the lesson page's template needs from this app (declared as `lesson_context` on the AppConfig,
called by courses' LessonPage.get_context). Part of serving the page, so it may save the visitor's
session, which a selector must not."""

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html

from .selectors import code_cells, page_exercise_ids, run_access


def lesson_context(*, page, request) -> dict:
    """What the lesson template needs for live cells: the container's attributes and the bundles."""
    if not code_cells(page) and not page_exercise_ids(page):
        return {}
    access = run_access(user=request.user, page=page)
    if access.allowed and not request.user.is_authenticated and not request.session.session_key:
        request.session.save()  # the visitor's kernel is keyed by this session; runs never make one
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
