from django.shortcuts import redirect
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from courses.selectors import editable_courses

from .admin_views import lms_course_approve, lms_course_revoke, lms_courses, tool_keys
from .forms import PlatformForm
from .models import LtiContext, Platform, ScoreDelivery
from .selectors import trains_through_an_lms_only


class PlatformViewSet(ModelViewSet):
    """LMS registrations. Model permissions guard it: superusers, and staff granted them explicitly."""

    model = Platform
    icon = "link-external"
    menu_label = "LTI platforms"
    add_to_settings_menu = True
    list_display = ["name", "issuer", "client_id", "is_active"]
    search_fields = ["name", "issuer", "client_id"]

    def get_form_class(self, for_update=False):
        return PlatformForm


class LtiContextViewSet(ModelViewSet):
    model = LtiContext
    icon = "group"
    menu_label = "LTI placements"
    add_to_settings_menu = True
    form_fields = ["title"]
    list_display = ["title", "context_id", "platform", "course", "instructors_train", "roster_synced_at"]


class ScoreDeliveryViewSet(ModelViewSet):
    """Every score posted to an LMS: status, attempts and the last error. Marking one pending again and
    running `manage.py lti retry` posts it again."""

    model = ScoreDelivery
    icon = "success"
    menu_label = "LTI score deliveries"
    add_to_settings_menu = True
    form_fields = ["status"]
    list_display = ["identity", "line_item", "score_given", "score_maximum", "status", "attempts", "last_error",
                    "updated_at"]  # fmt: skip
    list_filter = ["status"]
    inspect_view_enabled = True


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [
        PlatformViewSet("lti_platforms"),
        LtiContextViewSet("lti_placements"),
        ScoreDeliveryViewSet("lti_score_deliveries"),
    ]


@hooks.register("register_admin_urls")
def key_urls():
    return [
        path("lti/keys/", tool_keys, name="panlearn_lti_keys"),
        path("lti/lms-courses/", lms_courses, name="panlearn_lti_lms_courses"),
        path("lti/lms-courses/<int:pk>/approve/", lms_course_approve, name="panlearn_lti_lms_course_approve"),
        path("lti/lms-courses/<int:pk>/revoke/", lms_course_revoke, name="panlearn_lti_lms_course_revoke"),
    ]


class SuperusersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_settings_menu_item")
def keys_menu_item():
    return SuperusersMenuItem("LTI tool keys", reverse("panlearn_lti_keys"), icon_name="key", order=920)


class CourseEditorsMenuItem(MenuItem):
    def is_shown(self, request):
        return editable_courses(request.user).exists()


@hooks.register("register_admin_menu_item")
def lms_courses_menu_item():
    """Where a course's editors let the instructors of an LMS course it is placed in train it."""
    return CourseEditorsMenuItem("LMS courses", reverse("panlearn_lti_lms_courses"), icon_name="group", order=160)


def _refused(course, verb: str) -> str:
    return (f"You edit “{course.title}” through an approved LMS course: you cannot {verb} the course or its "
            "lessons (that would delete or take away students' progress). Unpublish a page instead, or ask "
            "one of the course's editors in panlearn.")  # fmt: skip


def _refusal(request, page, verb: str):
    """LMS co-trainers edit and publish a course; deleting or moving its pages (and with them completions
    and enrolments) is for its editors in panlearn. None when `request.user` may."""
    course = trains_through_an_lms_only(user=request.user, page=page)
    if course is None:
        return None
    messages.error(request, _refused(course, verb))
    return redirect("wagtailadmin_pages:edit", page.pk)


@hooks.register("before_delete_page")
def refuse_lms_co_trainers_deleting(request, page):
    return _refusal(request, page, "delete")


@hooks.register("before_move_page")
def refuse_lms_co_trainers_moving(request, page, destination):
    return _refusal(request, page, "move")


@hooks.register("before_bulk_action")
def refuse_lms_co_trainers_bulk(request, action_type, objects, action_class_instance):
    """The same refusals for the page listing's bulk delete and move."""
    from wagtail.models import Page

    if action_type not in ("delete", "move") or not issubclass(action_class_instance.model, Page):
        return None
    for page in objects:
        course = trains_through_an_lms_only(user=request.user, page=page)
        if course is not None:
            messages.error(request, _refused(course, action_type))
            return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None
