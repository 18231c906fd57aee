from django.contrib import messages
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Exercise
from .submissions import exercise_validate


class ExerciseViewSet(SnippetViewSet):
    model = Exercise
    icon = "tick-inverse"
    menu_label = "Exercises"
    list_display = ["title", "version", "max_attempts", "updated_at"]
    search_fields = ["title", "prompt"]


register_snippet(ExerciseViewSet)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def validate_exercise(request, instance):
    """Every save runs the reference solution and the starter through the tests; the trainer sees how."""
    if not isinstance(instance, Exercise):
        return
    report = exercise_validate(instance)
    lines = [report["message"]]
    for label in ("solution", "starter"):
        run = report.get(label)
        if run:
            failed = [f"{test['name']} ({test['status']})" for test in run["tests"] if test.get("status") != "passed"]
            lines.append(f"{label.capitalize()}: {run['points']:g} of {run['possible']:g} points"
                         + (f"; not passed: {', '.join(failed)}" if failed else ""))  # fmt: skip
    (messages.success if report["ok"] else messages.error)(request, " ".join(lines))
