"""Jupyter outputs to safe *parts* for the browser (see docs/code-cells.md, "Output parts").

The runner hands us nbformat-shaped output dicts; everything a student's code prints is hostile
until it has been through here. The browser only ever inserts what this module produces:

* ``text`` parts (streams, ``text/plain``) are inserted as text, never as HTML;
* ``html`` parts went through :func:`sanitize_html` (nh3, allowlist below);
* ``image`` parts are ``data:`` URIs whose bytes were checked (PNG/JPEG magic bytes), or SVG that
  went through an SVG allowlist *and* is shown through ``<img>``, where scripts never run;
* ``latex`` parts are rendered by KaTeX with ``trust: false``, or shown as text;
* ``notice`` parts are text.

The allowlists are in ``html`` and ``svg``, ANSI colours in ``ansi``, the parts in ``parts``.
"""

from .ansi import ansi_to_html
from .html import sanitize_html
from .parts import (
    MIME_PREFERENCE,
    markdown_to_html,
    notice,
    parts_from_output,
    parts_from_outputs,
    render_parts_html,
    strip_latex_delimiters,
    traceback_html,
)
from .svg import sanitize_svg

__all__ = [
    "MIME_PREFERENCE",
    "ansi_to_html",
    "markdown_to_html",
    "notice",
    "parts_from_output",
    "parts_from_outputs",
    "render_parts_html",
    "sanitize_html",
    "sanitize_svg",
    "strip_latex_delimiters",
    "traceback_html",
]
