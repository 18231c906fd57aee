"""Onboarding in the admin: programmes, experiments, participants, passes and staff, each narrowed to
the facilities the signed-in staff member manages (superusers see every facility).

A staff member stays inside their facilities in every view of these snippets, choosers included
(panlearn/admin_scoping.py). Forms offer only their facilities' choices.
"""

from django import forms
from django.db import transaction
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from facilities.models import FacilityStaff
from facilities.selectors import scoped_to_staff
from panlearn.admin_scoping import ScopedPolicy, ScopedSnippetViewSet, scope_of

from .forms import FacilityScopedForm, PersonByEmailForm
from .models import Experiment, Participant, Programme, ProgrammeCompletion

READ_ONLY_ACTIONS = frozenset({"add", "change", "delete"})


class FacilityScopedViewSet(ScopedSnippetViewSet):
    """Rows of the user's own facilities (`facility_path` leads from the model to its Facility)."""

    facility_path = "facility"

    def scope(self, queryset, user):
        return scoped_to_staff(queryset, user, facility_path=self.facility_path)


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
    read_only = READ_ONLY_ACTIONS if viewset.model is ProgrammeCompletion else frozenset()
    register_permission_policy(
        viewset.model,
        ScopedPolicy(viewset.model, scope=scope_of(viewset.model), read_only_actions=read_only),
        exact_class=True,
    )
register_snippet(OnboardingGroup)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def programme_saved(request, instance):
    """Passes users already hold in a new or changed programme are recorded (in the background)."""
    if isinstance(instance, Programme):
        from .tasks import evaluate_programme

        transaction.on_commit(lambda: evaluate_programme.enqueue(instance.pk))
