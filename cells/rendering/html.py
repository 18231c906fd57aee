"""Student HTML made safe for the page (nh3)."""

import re

import nh3

HTML_TAGS = frozenset(
    {
        *("a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del"),
        *("details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5"),
        *("h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small"),
        *("span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead"),
        *("time", "tr", "u", "ul", "var", "wbr"),
    }
)
_CELL = {"colspan", "rowspan", "align", "valign", "halign", "scope"}
_ROWS = {"align", "valign"}
HTML_ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"border", "cellpadding", "cellspacing"},
    "th": _CELL,
    "td": _CELL,
    "tr": _ROWS,
    "thead": _ROWS,
    "tbody": _ROWS,
    "tfoot": _ROWS,
    "col": {"span", "align", "valign"},
    "colgroup": {"span", "align", "valign"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "details": {"open"},
    "time": {"datetime"},
}
HTML_DROP_CONTENT = frozenset(
    {
        *("script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript"),
        *("noembed", "noframes", "template", "title", "head", "svg", "math", "textarea", "select", "button"),
    }
)
_LINK_SCHEMES = ("http:", "https:", "mailto:")
_IMG_SRC = re.compile(r"^(?:https?:|data:image/(?:png|jpeg|gif|webp|svg\+xml)[;,])", re.IGNORECASE)


def _html_attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if element == "a" and attribute == "href":
        return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
    if element == "img" and attribute == "src":
        return value if _IMG_SRC.match(value.strip()) else None
    return value


_html_cleaner = nh3.Cleaner(
    tags=set(HTML_TAGS),
    clean_content_tags=set(HTML_DROP_CONTENT),
    attributes={tag: set(names) for tag, names in HTML_ATTRIBUTES.items()},
    attribute_filter=_html_attribute_filter,
    link_rel="noopener noreferrer",
    url_schemes={"http", "https", "mailto", "data"},
    url_relative="deny",
    strip_comments=True,
)


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)", re.IGNORECASE)


def sanitize_html(markup: str) -> str:
    """`markup` with everything outside the general HTML allowlist (module docstring) removed. An image
    the output gives no text alternative gets an empty one (decorative) rather than none: screen readers
    would otherwise read its file name."""
    return _IMG_WITHOUT_ALT.sub('<img alt=""', _html_cleaner.clean(markup))
