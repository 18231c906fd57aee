from django.contrib import messages
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from panlearn.admin_scoping import ScopedPolicy, ScopedSnippetViewSet, scope_of

from .access import manageable_exercises
from .admin_views import (
    grade_response,
    gradebook,
    import_notebook,
    may_use_gradebook,
    override,
    regrade,
    regrade_report,
)
from .models import Exercise
from .submissions import exercise_validate


class ExerciseViewSet(ScopedSnippetViewSet):
    """Only the exercises the user manages, in every view, the chooser of the lessons' exercise block
    included (exercises/access.py)."""

    model = Exercise
    icon = "tick-inverse"
    menu_label = "Exercises"
    list_display = ["title", "kind", "version", "max_attempts", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["title", "prompt"]

    def scope(self, queryset, user):
        return manageable_exercises(user, queryset)


register_permission_policy(Exercise, ScopedPolicy(Exercise, scope=scope_of(Exercise)), exact_class=True)
register_snippet(ExerciseViewSet)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def validate_exercise(request, instance):
    """Every save runs the reference solution and the starter through the tests; the trainer sees how."""
    if not isinstance(instance, Exercise):
        return
    if instance.owner_id is None and request.user.is_authenticated:  # its author, until a course uses it
        instance.owner = request.user
        Exercise.objects.filter(pk=instance.pk, owner__isnull=True).update(owner=request.user)
    report = exercise_validate(instance)
    lines = [report["message"]]
    for label in ("solution", "starter"):
        run = report.get(label)
        if run:
            failed = [f"{test['name']} ({test['status']})" for test in run["tests"] if test.get("status") != "passed"]
            lines.append(f"{label.capitalize()}: {run['points']:g} of {run['possible']:g} points"
                         + (f"; not passed: {', '.join(failed)}" if failed else ""))  # fmt: skip
    (messages.success if report["ok"] else messages.error)(request, " ".join(lines))


@hooks.register("register_admin_urls")
def gradebook_urls():
    return [
        path("exercises/gradebook/", gradebook, name="panlearn_exercises_gradebook"),
        path("exercises/gradebook/override", override, name="panlearn_exercises_override"),
        path("exercises/gradebook/grade", grade_response, name="panlearn_exercises_grade_response"),
        path("exercises/import-notebook/", import_notebook, name="panlearn_exercises_import_notebook"),
        path("exercises/<int:pk>/regrade", regrade, name="panlearn_exercises_regrade"),
        path("exercises/<int:pk>/regrade/report", regrade_report, name="panlearn_exercises_regrade_report"),
    ]


class GradebookMenuItem(MenuItem):
    def is_shown(self, request):
        return may_use_gradebook(request.user)


@hooks.register("register_admin_menu_item")
def gradebook_menu_item():
    return GradebookMenuItem("Gradebook", reverse("panlearn_exercises_gradebook"), icon_name="tick-inverse", order=320)
