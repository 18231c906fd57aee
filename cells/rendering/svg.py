"""Student SVG made safe to show through ``<img>``.

SVG allowlist *and* is shown through ``<img>``, where scripts never run;
* ``latex`` parts are rendered by KaTeX with ``trust: false``, or shown as text;
* ``notice`` parts are text.

General HTML allowlist (:data:`HTML_TAGS`, :data:`HTML_ATTRIBUTES`)
    Text and structure: a abbr b blockquote br caption cite code col colgroup dd del details
    dfn div dl dt em figcaption figure h1-h6 hr i img ins kbd li mark ol p pre q s samp small
    span strong sub summary sup table tbody td tfoot th thead time tr u ul var wbr.
    Attributes: ``class title lang dir`` everywhere (output CSS should be scoped to the output
    area); ``a[href]``; ``img[src alt width height]``; tables keep ``border cellpadding
    cellspacing``, cells ``colspan rowspan align valign halign scope``, rows and sections
    ``align valign``, so pandas DataFrames stay tables. No ``style``, no ``id``/``name`` (DOM
    clobbering), no ``on*``, no ``target``; links get ``rel="noopener noreferrer"``.
    URLs: ``a[href]`` http, https, mailto; ``img[src]`` http, https and ``data:image/(png|jpeg|
    gif|webp|svg+xml)``; relative URLs are removed (they would point into this site).
    Removed with their content (:data:`HTML_DROP_CONTENT`): script style iframe frame frameset
    object embed applet noscript noembed noframes template title head svg math textarea select
    button. Any other tag (form, input, link, meta, base, ...) is removed, its text kept.

SVG allowlist (:data:`SVG_TAGS`, :data:`SVG_ATTRIBUTES`)
    svg g defs clipPath path rect circle ellipse line polyline polygon text tspan use image
    linearGradient radialGradient stop, with geometry and presentation attributes only. ``use``
    may only point into the same document (``href="#id"``), ``image`` only at a
    ``data:image/png|jpeg`` URI (matplotlib embeds ``imshow`` that way), ``url(...)`` values only
    at ``#id``. Removed with content: script style foreignObject metadata title desc. No
    ``style`` attribute: matplotlib's ``style="fill: ...; stroke: ..."`` is first turned into the
    equivalent presentation attributes (:data:`SVG_PRESENTATION`), so its figures stay readable.
"""

import html
import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import nh3

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
SVG_TAGS = frozenset(
    {
        *("svg", "g", "defs", "clipPath", "path", "rect", "circle", "ellipse", "line", "polyline"),
        *("polygon", "text", "tspan", "use", "image", "linearGradient", "radialGradient", "stop"),
    }
)
SVG_DROP_CONTENT = frozenset({"script", "style", "foreignObject", "metadata", "title", "desc"})
# CSS properties that are also SVG presentation attributes; only these survive from `style`.
SVG_PRESENTATION = frozenset(
    {
        *("fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap"),
        *("stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity"),
        *("clip-path", "clip-rule", "font-family", "font-size", "font-weight", "font-style", "text-anchor"),
        *("dominant-baseline", "alignment-baseline", "baseline-shift", "visibility", "color", "stop-color"),
        *("stop-opacity", "letter-spacing", "word-spacing", "text-decoration", "vector-effect"),
    }
)
_XYWH = {"x", "y", "width", "height"}
SVG_ATTRIBUTES = {
    "*": {"id", "transform", *SVG_PRESENTATION},
    "svg": {"xmlns", "viewBox", "preserveAspectRatio", "version", *_XYWH},
    "path": {"d"},
    "rect": {"rx", "ry", *_XYWH},
    "circle": {"cx", "cy", "r"},
    "ellipse": {"cx", "cy", "rx", "ry"},
    "line": {"x1", "y1", "x2", "y2"},
    "polyline": {"points"},
    "polygon": {"points"},
    "text": {"dx", "dy", "rotate", "textLength", "lengthAdjust", "x", "y"},
    "tspan": {"dx", "dy", "rotate", "textLength", "lengthAdjust", "x", "y"},
    "use": {"href", *_XYWH},
    "image": {"href", "preserveAspectRatio", *_XYWH},
    "clipPath": {"clipPathUnits"},
    "linearGradient": {"x1", "y1", "x2", "y2", "gradientUnits", "gradientTransform", "spreadMethod"},
    "radialGradient": {"cx", "cy", "r", "fx", "fy", "gradientUnits", "gradientTransform", "spreadMethod"},
    "stop": {"offset"},
}
_LOCAL_REFERENCE = re.compile(r"^#[\w.:-]+$")
_LOCAL_URL = re.compile(r"""^\s*url\(\s*(['"]?)#[\w.:-]+\1\s*\)\s*(?:[\w#.%\s-]*)$""", re.IGNORECASE)
_DATA_RASTER = re.compile(r"^data:image/(?:png|jpeg);base64,[A-Za-z0-9+/=]+$")


def _svg_attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        if element == "use":
            return value if _LOCAL_REFERENCE.match(value) else None
        if element == "image":
            compact = re.sub(r"\s+", "", value)
            return compact if _DATA_RASTER.match(compact) else None
        return None
    lowered = value.lower()
    if "url(" in lowered and not _LOCAL_URL.match(value):
        return None
    if "\\" in value or "javascript:" in lowered or "expression(" in lowered:
        return None
    return value


_svg_cleaner = nh3.Cleaner(
    tags=set(SVG_TAGS),
    clean_content_tags=set(SVG_DROP_CONTENT),
    attributes={tag: set(names) for tag, names in SVG_ATTRIBUTES.items()},
    attribute_filter=_svg_attribute_filter,
    link_rel=None,
    url_schemes={"data"},
    strip_comments=True,
)


class _SvgNormaliser(HTMLParser):
    """Re-serialises SVG with `style` declarations turned into presentation attributes.

    Not a security boundary (nh3 runs afterwards): it only makes matplotlib's inline styles
    survive a sanitizer that forbids `style`. It also maps `xlink:href` to SVG 2's `href` (so
    the result needs no xlink namespace), forces the SVG namespace on the root, and applies a
    stylesheet of the single form `* { ... }` (matplotlib's line joins) to the root.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.root_index: int | None = None
        self.root_attrs: dict[str, str] = {}
        self.in_style = False
        self.style_text: list[str] = []

    @staticmethod
    def _declarations(css: str) -> dict[str, str]:
        found = {}
        for declaration in css.split(";"):
            name, _, value = declaration.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name in SVG_PRESENTATION and value:
                found[name] = value
        return found

    @staticmethod
    def _tag(tag: str, attrs: dict[str, str]) -> str:
        rendered = "".join(f' {name}="{html.escape(value)}"' for name, value in attrs.items())
        return f"<{tag}{rendered}>"

    def handle_starttag(self, tag, attrs):
        merged: dict[str, str] = {}
        for name, value in attrs:
            merged.setdefault(name, value or "")  # the first of duplicate attributes wins, as in HTML
        merged.update(self._declarations(merged.pop("style", "")))
        xlink = merged.pop("xlink:href", None)
        if xlink is not None:
            merged.setdefault("href", xlink)
        if tag == "svg" and self.root_index is None:
            merged["xmlns"] = SVG_NAMESPACE
            self.root_index, self.root_attrs = len(self.out), merged
        self.in_style = tag == "style"
        self.out.append(self._tag(tag, merged))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        self.in_style = False
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if self.in_style:
            self.style_text.append(data)
        self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        universal = re.fullmatch(r"\s*\*\s*\{([^{}]*)\}\s*", "".join(self.style_text))
        if universal and self.root_index is not None:
            attrs = {**self._declarations(universal.group(1)), **self.root_attrs}
            self.out[self.root_index] = self._tag("svg", attrs)
        return "".join(self.out)


def sanitize_svg(svg: str) -> str | None:
    """A standalone, sanitized SVG document, or None if nothing usable is left."""
    normaliser = _SvgNormaliser()
    normaliser.feed(svg)
    normaliser.close()
    cleaned = _svg_cleaner.clean(normaliser.result())
    start, end = cleaned.find("<svg"), cleaned.rfind("</svg>")
    if start < 0 or end < start:
        return None
    # html5ever serialises U+00A0 as &nbsp;, which XML does not know.
    document = cleaned[start : end + len("</svg>")].replace("&nbsp;", "&#160;")
    try:
        root = ElementTree.fromstring(document)  # no DOCTYPE left, so no entities to expand
    except ElementTree.ParseError:
        return None
    return document if root.tag == f"{{{SVG_NAMESPACE}}}svg" else None
