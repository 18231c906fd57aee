"""The code-cell lesson block: starter code a student edits and runs in their own kernel."""

import json

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.list_block import ListBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.snippets.blocks import SnippetChooserBlock

from .parameters import MAX_PARAMETERS, declaration_errors, plan_parameters


class ParameterBlock(blocks.StructBlock):
    """One named value students set with a control next to the cell; bound in their kernel before each run."""

    name = blocks.CharBlock(max_length=40, help_text="The Python variable the cell reads, e.g. grazing_angle.")
    label = blocks.CharBlock(max_length=80, help_text="What students see, e.g. Grazing angle.")
    unit = blocks.CharBlock(max_length=20, required=False, help_text="Shown after the value, e.g. mrad.")
    kind = blocks.ChoiceBlock(
        choices=[("float", "Number (float)"), ("int", "Whole number (int)"), ("choice", "Choice (text)")],
        default="float",
    )
    minimum = blocks.FloatBlock(required=False)
    maximum = blocks.FloatBlock(required=False)
    step = blocks.FloatBlock(required=False, help_text="At most 1000 steps from minimum to maximum.")
    default = blocks.FloatBlock(required=False, help_text="A value from minimum in whole steps.")
    choices = blocks.TextBlock(
        required=False, rows=3, help_text="For a choice: one per line, the first is the default. Bound as a str."
    )

    class Meta:
        icon = "cog"
        label = "Parameter"

    def clean(self, value):
        value = super().clean(value)
        errors = declaration_errors(dict(value))
        if errors:
            raise StructBlockValidationError(block_errors={key: ValidationError(text) for key, text in errors.items()})
        return value


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
    parameters = blocks.ListBlock(
        ParameterBlock(),
        required=False,
        default=[],
        max_num=MAX_PARAMETERS,
        help_text=f"Up to {MAX_PARAMETERS} values students change with sliders, number boxes or a list; each change "
        "runs the cell again with the values assigned first (e.g. grazing_angle = 2.5).",
    )
    example_output = blocks.TextBlock(
        required=False,
        help_text="Shown before the student runs anything. Set it from a real run: preview the lesson, run the "
        "cell, and choose “Keep as example output”.",
    )

    class Meta:
        icon = "code"
        template = "cells/blocks/code_cell.html"
        label = "Code cell"
        help_text = "A Python cell students edit and run; every cell of the lesson shares one kernel."

    def clean(self, value):
        value = super().clean(value)
        seen: dict[str, int] = {}
        errors = {}
        for index, parameter in enumerate(value["parameters"]):
            name = parameter["name"]
            if name in seen:
                errors[index] = StructBlockValidationError(
                    block_errors={"name": ValidationError(f"“{name}” is already parameter {seen[name] + 1}.")}
                )
            seen.setdefault(name, index)
        if errors:
            raise StructBlockValidationError(block_errors={"parameters": ListBlockValidationError(block_errors=errors)})
        return value

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
        parameters = plan_parameters(value.get("parameters"))
        context.update(
            cell_id=cell_id,
            shown_code=code,
            # For the "reset" button; escaped for a <script> element like json_script does.
            starter_json=escape_json(value["code"]),
            example_html=render_parts_html(parse_parts(value["example_output"])),
            parameters=parameters,
            parameters_json=escape_json(parameters),
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


def lesson_blocks():
    return [("code_cell", CodeCellBlock())]
