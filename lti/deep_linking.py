"""Deep linking: the instructor's choice becomes ltiResourceLink items (a lineItem for an exercise, so the
LMS makes its gradebook column), signed by the tool's key and posted back to the LMS."""

import re

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem as PlatformLineItem
from wagtail.models import Page

from courses.models import CoursePage, LessonPage
from exercises.selectors import exercise_on

from .claims import EXERCISE_PARAMETER, PAGE_PARAMETER
from .launch import restored_launch
from .selectors import maximum_points, placeable_content

_ID = re.compile(r"[0-9]{1,18}")


def choices() -> list[dict]:
    return placeable_content()


def chosen(values: list[str]) -> list[tuple[object, object]]:
    """(page, exercise or None) for each posted value, "page:<id>" or "exercise:<lesson id>:<id>"; unknown or
    unpublished ones are dropped."""
    items = []
    for value in values:
        kind, _, rest = value.partition(":")
        page_id, _, exercise_id = rest.partition(":")
        if kind not in ("page", "exercise") or not _ID.fullmatch(page_id):
            continue
        if (kind == "exercise") != bool(_ID.fullmatch(exercise_id)):  # str.isdigit() takes "²", int() does not
            continue
        page = Page.objects.live().public().filter(pk=int(page_id)).specific().first()
        if not isinstance(page, CoursePage | LessonPage):
            continue
        exercise = exercise_on(page, int(exercise_id)) if kind == "exercise" else None
        if kind == "exercise" and exercise is None:
            continue
        items.append((page, exercise))
    return items


def resource_for(page, exercise, *, launch_url: str) -> DeepLinkResource:
    custom = {PAGE_PARAMETER: str(page.pk)}
    title = page.title
    if exercise is not None:
        custom[EXERCISE_PARAMETER] = str(exercise.pk)
        title = exercise.title
    resource = DeepLinkResource().set_url(launch_url).set_title(title).set_custom_params(custom)
    if exercise is not None:
        resource.set_lineitem(
            PlatformLineItem()
            .set_label(exercise.title)
            .set_score_maximum(float(maximum_points(exercise)))
            .set_resource_id(f"panlearn-exercise-{exercise.pk}")
            .set_tag("grade")
        )
    return resource


def response_form(request, *, launch_id: str, items, launch_url: str) -> str:
    """The auto-submitting form that carries the signed LtiDeepLinkingResponse to the LMS."""
    tool_launch = restored_launch(request, launch_id)
    resources = [resource_for(page, exercise, launch_url=launch_url) for page, exercise in items]
    return tool_launch.get_deep_link().output_response_form(resources)
