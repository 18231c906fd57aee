"""Exercise prompts are Markdown with $…$ and $$…$$ maths, as in a Jupyter notebook's markdown cells (an
imported nbgrader notebook keeps its prompts as they were written).

Raw HTML in a prompt is escaped, not rendered, and nh3 cleans the result against a short allowlist. The
maths is left as LaTeX in ``data-latex`` elements for maths.js (KaTeX), as the lesson's maths blocks are.
Headings move down two levels: a prompt sits under the exercise's own <h2>.
"""

from functools import lru_cache

import mistune
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span", "div",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "span": {"class", "data-latex", "data-display"},
    "div": {"class", "data-latex", "data-display"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
_cleaner = nh3.Cleaner(tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"}, link_rel="noopener")


class _PromptRenderer(mistune.HTMLRenderer):
    def heading(self, text: str, level: int, **attrs) -> str:
        return super().heading(text, min(level + 2, 6), **attrs)

    def block_math(self, text: str) -> str:
        latex = escape(text.strip())
        return f'<div class="maths-display" data-latex="{latex}" data-display="block">{latex}</div>\n'

    def inline_math(self, text: str) -> str:
        latex = escape(text.strip())
        return f'<span class="maths-inline" data-latex="{latex}" data-display="inline">{latex}</span>'


@lru_cache(maxsize=1)
def _markdown() -> mistune.Markdown:
    renderer = _PromptRenderer(escape=True)
    markdown = mistune.create_markdown(renderer=renderer, plugins=["math", "strikethrough", "table"])
    # The math plugin registers its own HTML for the "html" renderer; ours replaces it.
    renderer.register("block_math", _PromptRenderer.block_math)
    renderer.register("inline_math", _PromptRenderer.inline_math)
    return markdown


def prompt_html(text: str) -> SafeString:
    """The prompt as safe HTML; an empty prompt is an empty string."""
    if not text.strip():
        return mark_safe("")
    return mark_safe(_cleaner.clean(_markdown()(text)))
