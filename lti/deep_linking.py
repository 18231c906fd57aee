"""Deep linking: the instructor's choice becomes ltiResourceLink items (a lineItem for an exercise, so the
LMS makes its gradebook column), signed by the tool's key and posted back to the LMS."""

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem as PlatformLineItem
from wagtail.models import Page

from courses.models import CoursePage, LessonPage
from exercises.selectors import exercise_on

from .claims import EXERCISE_PARAMETER, PAGE_PARAMETER
from .launch import message_launch
from .selectors import maximum_points, placeable_content


def choices() -> list[dict]:
    return placeable_content()


def chosen(values: list[str]) -> list[tuple[object, object]]:
    """(page, exercise or None) for each posted value, "page:<id>" or "exercise:<lesson id>:<id>"; unknown or
    unpublished ones are dropped."""
    items = []
    for value in values:
        kind, _, rest = value.partition(":")
        page_id, _, exercise_id = rest.partition(":")
        if not page_id.isdigit() or (kind == "exercise") != exercise_id.isdigit():
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
    tool_launch = message_launch(request)
    tool_launch = tool_launch.from_cache(launch_id, request, tool_launch.get_tool_conf())
    resources = [resource_for(page, exercise, launch_url=launch_url) for page, exercise in items]
    return tool_launch.get_deep_link().output_response_form(resources)
