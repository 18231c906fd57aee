"""The code-cell lesson block: starter code a student edits and runs in their own kernel."""

import json

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock


class CodeCellBlock(blocks.StructBlock):
    code = blocks.TextBlock(label="Starter code", required=False, form_classname="monospace")
    datasets = blocks.ListBlock(
        SnippetChooserBlock("panlearn_content.Dataset"),
        required=False,
        default=[],
        help_text="Mounted read-only at /data/<id>/ (the lesson's dataset blocks are mounted too).",
    )
    setup_code = blocks.TextBlock(
        required=False,
        form_classname="monospace",
        help_text="Runs once, before the student's first cell in each new session. Never sent to the browser.",
    )
    read_only = blocks.BooleanBlock(required=False, help_text="Students run this cell but cannot change it.")
    example_output = blocks.TextBlock(
        required=False,
        help_text="Shown before the student runs anything. Set it from a real run: preview the lesson, run the "
        "cell, and choose “Keep as example output”.",
    )

    class Meta:
        icon = "code"
        template = "exercises/blocks/code_cell.html"
        label = "Code cell"
        help_text = "A Python cell students edit and run; every cell of the lesson shares one kernel."

    def get_context(self, value, parent_context=None):
        from .rendering import render_parts_html
        from .selectors import saved_code_for

        context = super().get_context(value, parent_context=parent_context)
        parent_context = parent_context or {}
        cell_id = parent_context.get("block_id", "")
        request, page = parent_context.get("request"), parent_context.get("page")
        code = value["code"]
        if request is not None and page is not None and cell_id and not value["read_only"]:
            code = saved_code_for(request=request, page=page).get(cell_id, code)
        context.update(
            cell_id=cell_id,
            shown_code=code,
            # For the "reset" button; escaped for a <script> element like json_script does.
            starter_json=escape_json(value["code"]),
            example_html=render_parts_html(parse_parts(value["example_output"])),
        )
        return context


def parse_parts(raw: str) -> list[dict]:
    try:
        parts = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [part for part in parts if isinstance(part, dict)] if isinstance(parts, list) else []


def escape_json(value) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
        from .grading_policy import course_of
        from .prompts import prompt_html
        from .selectors import exercise_state_for

        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        exercise = value.get("exercise")
        if exercise is not None:
            context["prompt_html"] = prompt_html(exercise.prompt)
        if exercise is not None and request is not None:
            course = course_of((parent_context or {}).get("page"))
            context.update(exercise_state_for(user=request.user, exercise=exercise, course=course))
        return context


def lesson_blocks():
    return [("code_cell", CodeCellBlock()), ("exercise", ExerciseBlock())]
