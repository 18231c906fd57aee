"""The code-cell lesson block: starter code a student edits and runs in their own kernel."""

import json

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
        template = "cells/blocks/code_cell.html"
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


def lesson_blocks():
    return [("code_cell", CodeCellBlock())]
