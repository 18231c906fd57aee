from django.http import Http404
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.models import PageViewRestriction
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from panlearn.admin_scoping import ScopedPolicy, ScopedSnippetViewSet, choosable_pages, scope_of

from .models import CourseInvitation, CoursePage, LessonPage
from .permissions import may_create_courses
from .selectors import editable_courses


class CourseInvitationForm(WagtailAdminModelForm):
    """A trainer invites people to the courses they edit, and only to those."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "course" in self.fields:
            self.fields["course"].queryset = editable_courses(self.for_user)


class CourseInvitationViewSet(ScopedSnippetViewSet):
    """The invitations of the courses the user edits, in every view, the chooser included: another
    course's invitees' addresses are not this trainer's to read."""

    model = CourseInvitation
    icon = "mail"
    menu_label = "Course invitations"
    list_display = ["email", "course", "created_at", "accepted_at"]
    list_filter = ["course"]
    search_fields = ["email"]
    edit_handler = ObjectList([FieldPanel("course"), FieldPanel("email")], base_form_class=CourseInvitationForm)

    def scope(self, queryset, user):
        return queryset.filter(course__in=editable_courses(user))


register_permission_policy(
    CourseInvitation, ScopedPolicy(CourseInvitation, scope=scope_of(CourseInvitation)), exact_class=True
)
register_snippet(CourseInvitationViewSet)


@hooks.register("before_serve_page", order=-1)
def hide_restricted_courses(page, request, serve_args, serve_kwargs):
    """A private or unpublished course is a 404 to those outside it, not a password or login prompt.

    Only login-restricted pages keep Wagtail's sign-in redirect for anonymous visitors.
    """
    if not isinstance(page.specific_deferred, CoursePage | LessonPage):
        return None
    if page.get_ancestors().filter(depth__gt=1, live=False).exists():
        raise Http404  # a lesson of an unpublished course is unpublished too
    for restriction in page.get_view_restrictions():
        if restriction.accept_request(request):
            continue
        if restriction.restriction_type == PageViewRestriction.LOGIN:
            return None
        raise Http404
    return None


@hooks.register("after_create_snippet")
def email_new_invitation(request, instance):
    if isinstance(instance, CourseInvitation):
        from django.conf import settings

        from .services import invitation_send

        instance.invited_by = request.user
        instance.save(update_fields=["invited_by"])
        invitation_send(invitation=instance, base_url=settings.WAGTAILADMIN_BASE_URL)


@hooks.register("construct_reports_menu")
def page_types_usage_for_superusers(request, menu_items):
    """The page types usage report is for superusers (panlearn/admin_scoping.py): others are not shown it."""
    if not request.user.is_superuser:
        menu_items[:] = [item for item in menu_items if item.name != "page-types-usage"]


@hooks.register("construct_page_chooser_queryset")
def chooser_offers_public_pages_and_own(pages, request):
    """Links may point to any page the public sees; of the rest, a trainer is offered only the pages
    they may explore (their own courses), not another trainer's drafts or private courses."""
    return choosable_pages(pages, request.user)


@hooks.register("register_admin_urls")
def course_admin_urls():
    from .admin_views import course_new

    return [path("courses/new/", course_new, name="panlearn_courses_new")]


class NewCourseMenuItem(MenuItem):
    def is_shown(self, request):
        return may_create_courses(request.user)


@hooks.register("register_admin_menu_item")
def new_course_menu_item():
    """A trainer with no course yet has no page to explore: this is how they start one."""
    return NewCourseMenuItem("New course", reverse("panlearn_courses_new"), icon_name="plus", order=150)
