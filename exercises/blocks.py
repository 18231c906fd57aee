"""The exercise lesson block: a graded exercise students check and submit."""

from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock


class ExerciseBlock(blocks.StructBlock):
    exercise = SnippetChooserBlock("panlearn_exercises.Exercise")

    class Meta:
        icon = "tick-inverse"
        template = "exercises/blocks/exercise.html"
        label = "Exercise"
        help_text = "A graded exercise: students Check (public tests) and Submit (every test, one attempt)."

    def clean(self, value):
        value = super().clean(value)
        exercise = value.get("exercise")
        if exercise is not None and not exercise.is_valid:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "exercise": ValidationError(
                        f"“{exercise.title}” has not passed its validation run (the reference solution must score "
                        "full marks and the starter code must not). Open it and save it again."
                    )
                }
            )
        return value

    def get_context(self, value, parent_context=None):
        from .policy_lookup import course_of
        from .prompts import prompt_html
        from .selectors import exercise_state_for

        context = super().get_context(value, parent_context=parent_context)
        request, page = (parent_context or {}).get("request"), (parent_context or {}).get("page")
        exercise = value.get("exercise")
        if page is not None and page.pk:
            context["exercises_base_url"] = reverse("exercises:exercises_base", args=[page.pk])
        if exercise is not None:
            context["prompt_html"] = prompt_html(exercise.prompt)
        if exercise is not None and request is not None:
            course = course_of(page)
            context.update(exercise_state_for(user=request.user, exercise=exercise, course=course))
        return context


def lesson_blocks():
    return [("exercise", ExerciseBlock())]
