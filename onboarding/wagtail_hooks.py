"""Onboarding in the admin: programmes, experiments, participants, passes and staff, each narrowed to
the facilities the signed-in staff member manages (superusers see every facility).

Three locks keep a staff member inside their facilities: the listings' querysets, a check on the
object of every edit, delete, copy, history, usage and inspect URL (404 outside), and a permission
policy whose per-object answer the bulk actions ask. Forms offer only their facilities' choices.
"""

from django import forms
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.http import Http404
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .forms import FacilityScopedForm, PersonByEmailForm
from .models import Experiment, FacilityStaff, Participant, Programme, ProgrammeCompletion
from .selectors import scoped_to_staff

READ_ONLY_ACTIONS = {"add", "change", "delete"}


class FacilityScopedPolicy(ModelPermissionPolicy):
    """Model permissions as usual, and an object only within the user's facilities."""

    def __init__(self, model, *, facility_path: str, read_only: bool = False):
        super().__init__(model)
        self.facility_path, self.read_only = facility_path, read_only

    def scoped(self, user):
        return scoped_to_staff(self.model._default_manager.all(), user, facility_path=self.facility_path)

    def user_has_permission(self, user, action):
        if self.read_only and action in READ_ONLY_ACTIONS:
            return False  # written by the services only
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self.scoped(user).filter(pk=instance.pk).exists()

    def instances_user_has_permission_for(self, user, action):
        return self.scoped(user) if self.user_has_permission(user, action) else self.model._default_manager.none()


class ScopedObjectMixin:
    """A URL naming an object outside the user's facilities is a 404, before the view loads it."""

    facility_path = ""

    def setup(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is not None:
            scoped = scoped_to_staff(self.model._default_manager.all(), request.user, facility_path=self.facility_path)
            if not scoped.filter(pk=unquote(str(pk))).exists():
                raise Http404
        super().setup(request, *args, **kwargs)


def _scoped(view_class):
    return type(f"Scoped{view_class.__name__}", (ScopedObjectMixin, view_class), {})


class FacilityScopedViewSet(SnippetViewSet):
    facility_path = "facility"
    edit_view_class = _scoped(snippet_views.EditView)
    delete_view_class = _scoped(snippet_views.DeleteView)
    copy_view_class = _scoped(snippet_views.CopyView)
    usage_view_class = _scoped(snippet_views.UsageView)
    history_view_class = _scoped(snippet_views.HistoryView)
    inspect_view_class = _scoped(snippet_views.InspectView)

    def get_queryset(self, request):
        return scoped_to_staff(self.model._default_manager.all(), request.user, facility_path=self.facility_path)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(facility_path=self.facility_path, **kwargs)


class ProgrammeViewSet(FacilityScopedViewSet):
    model = Programme
    icon = "list-ul"
    menu_label = "Programmes"
    list_display = ["name", "facility", "validity_months", "updated_at"]
    list_filter = ["facility"]
    search_fields = ["name", "description"]
    edit_handler = ObjectList(
        [
            FieldPanel("facility", widget=forms.Select),
            FieldPanel("name"),
            FieldPanel("description"),
            FieldPanel("validity_months"),
            InlinePanel("courses", label="Courses", min_num=1,
                        help_text="Each course is passed when its final assessment reaches the pass mark."),
            MultiFieldPanel(
                [FieldPanel("refresher_course"), FieldPanel("refresher_assessment", widget=forms.Select),
                 FieldPanel("refresher_pass_mark")],
                heading="Refresher",
            ),
            InlinePanel("requirements", label="Required for",
                        help_text="A participant must hold the programme when one row matches their role and the "
                        "experiment's instrument and type; empty fields match anything."),
        ],
        base_form_class=FacilityScopedForm,
    )  # fmt: skip


class ExperimentViewSet(FacilityScopedViewSet):
    model = Experiment
    icon = "date"
    menu_label = "Experiments"
    list_display = ["proposal", "title", "facility", "instrument", "experiment_type", "start_date"]
    list_filter = ["facility", "start_date"]
    search_fields = ["proposal", "title", "instrument"]
    edit_handler = ObjectList(
        [FieldPanel("facility", widget=forms.Select), FieldPanel("proposal"), FieldPanel("title"),
         FieldPanel("instrument"), FieldPanel("experiment_type"), FieldPanel("start_date")],
        base_form_class=FacilityScopedForm,
    )  # fmt: skip


class ParticipantViewSet(FacilityScopedViewSet):
    model = Participant
    facility_path = "experiment__facility"
    icon = "group"
    menu_label = "Participants"
    list_display = ["user", "experiment", "role", "added_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__username", "experiment__proposal"]
    edit_handler = ObjectList(
        [FieldPanel("experiment", widget=forms.Select), FieldPanel("email"), FieldPanel("role")],
        base_form_class=PersonByEmailForm,
    )


class CompletionViewSet(FacilityScopedViewSet):
    """Who passed which programme, valid until when: read-only (the services write it)."""

    model = ProgrammeCompletion
    facility_path = "programme__facility"
    icon = "tick-inverse"
    menu_label = "Passes"
    list_display = ["user", "programme", "passed_at", "valid_until", "via"]
    list_filter = ["programme", "via"]
    search_fields = ["user__email", "user__username"]
    inspect_view_enabled = True
    copy_view_enabled = False


class FacilityStaffViewSet(FacilityScopedViewSet):
    model = FacilityStaff
    icon = "user"
    menu_label = "Facility staff"
    list_display = ["user", "facility", "added_at"]
    search_fields = ["user__email", "user__username"]
    edit_handler = ObjectList(
        [FieldPanel("facility", widget=forms.Select), FieldPanel("email")], base_form_class=PersonByEmailForm
    )


class OnboardingGroup(SnippetViewSetGroup):
    menu_label = "Onboarding"
    menu_icon = "clipboard-list"
    menu_order = 250
    items = (ProgrammeViewSet, ExperimentViewSet, ParticipantViewSet, CompletionViewSet, FacilityStaffViewSet)


for viewset in OnboardingGroup.items:
    register_permission_policy(
        viewset.model,
        FacilityScopedPolicy(viewset.model, facility_path=viewset.facility_path,
                             read_only=viewset.model is ProgrammeCompletion),
        exact_class=True,
    )  # fmt: skip
register_snippet(OnboardingGroup)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def programme_saved(request, instance):
    """Passes users already hold in a new or changed programme are recorded (in the background)."""
    if isinstance(instance, Programme):
        from .tasks import evaluate_programme

        transaction.on_commit(lambda: evaluate_programme.enqueue(instance.pk))
