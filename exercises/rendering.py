"""Jupyter outputs to safe *parts* for the browser (see docs/code-cells.md, "Output parts").

The runner hands us nbformat-shaped output dicts; everything a student's code prints is hostile
until it has been through here. The browser only ever inserts what this module produces:

* ``text`` parts (streams, ``text/plain``) are inserted as text, never as HTML;
* ``html`` parts went through :func:`sanitize_html` (nh3, allowlist below);
* ``image`` parts are ``data:`` URIs whose bytes were checked (PNG/JPEG magic bytes), or SVG that
  went through an SVG allowlist *and* is shown through ``<img>``, where scripts never run;
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

import base64
import binascii
import html
import json
import logging
import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

logger = logging.getLogger(__name__)

# The richest first; the first one that yields something safe and non-empty wins.
MIME_PREFERENCE = (
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "text/latex",
    "text/html",
    "text/markdown",
    "application/json",
    "text/plain",
)
MAX_ALT_LENGTH = 200
MAX_IMAGE_DIMENSION = 10_000

# --------------------------------------------------------------------------------------------
# General HTML

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


# --------------------------------------------------------------------------------------------
# SVG

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


# --------------------------------------------------------------------------------------------
# ANSI colours (tracebacks)

ANSI_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
# xterm's defaults for the 16 basic colours, to reduce 256-colour and true-colour codes.
_PALETTE = (
    *((0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205)),
    *((229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255)),
    *((255, 0, 255), (0, 255, 255), (255, 255, 255)),
)
_ESCAPES = re.compile(
    r"\x1b\[([0-?]*)([ -/]*)([@-~])"  # CSI (SGR when the final byte is "m")
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (titles, hyperlinks)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # other escapes, and a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # other control characters (tab and newline stay)
)


def _colour_name(index: int) -> str:
    return ANSI_COLOURS[index] if index < 8 else f"bright-{ANSI_COLOURS[index - 8]}"


def _nearest(rgb: tuple[int, int, int]) -> int:
    return min(range(16), key=lambda i: sum((a - b) ** 2 for a, b in zip(rgb, _PALETTE[i], strict=True)))


def _xterm_256(n: int) -> int:
    if n < 16:
        return n
    if n < 232:
        levels = (0, 95, 135, 175, 215, 255)
        n -= 16
        return _nearest((levels[n // 36], levels[n // 6 % 6], levels[n % 6]))
    grey = 8 + 10 * (n - 232)
    return _nearest((grey, grey, grey))


def _extended_colour(codes: list[int], i: int) -> tuple[int | None, int]:
    """The 16-colour index of a 38/48 sequence starting at codes[i], and the next position."""
    if i + 1 < len(codes) and codes[i + 1] == 5 and i + 2 < len(codes):
        return (_xterm_256(codes[i + 2]) if 0 <= codes[i + 2] <= 255 else None), i + 3
    if i + 1 < len(codes) and codes[i + 1] == 2 and i + 4 < len(codes):
        rgb = tuple(min(max(c, 0), 255) for c in codes[i + 2 : i + 5])
        return _nearest(rgb), i + 5  # type: ignore[arg-type]
    return None, len(codes)


class _Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg: int | None = None
        self.bg: int | None = None
        self.bold = self.italic = self.underline = False

    def apply(self, params: str):
        codes = [int(c) if c.isdigit() else 0 for c in re.split(r"[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            i += 1
            if code == 0:
                self.reset()
            elif code == 1:
                self.bold = True
            elif code == 3:
                self.italic = True
            elif code == 4:
                self.underline = True
            elif code == 22:
                self.bold = False
            elif code == 23:
                self.italic = False
            elif code == 24:
                self.underline = False
            elif 30 <= code <= 37:
                self.fg = code - 30
            elif 90 <= code <= 97:
                self.fg = code - 90 + 8
            elif code == 39:
                self.fg = None
            elif 40 <= code <= 47:
                self.bg = code - 40
            elif 100 <= code <= 107:
                self.bg = code - 100 + 8
            elif code == 49:
                self.bg = None
            elif code in (38, 48):
                colour, i = _extended_colour(codes, i - 1)
                if colour is not None:
                    if code == 38:
                        self.fg = colour
                    else:
                        self.bg = colour

    def classes(self) -> str:
        names = []
        if self.fg is not None:
            names.append(f"ansi-{_colour_name(self.fg)}")
        if self.bg is not None:
            names.append(f"ansi-bg-{_colour_name(self.bg)}")
        names += [name for name, on in (("ansi-bold", self.bold), ("ansi-italic", self.italic),
                                        ("ansi-underline", self.underline)) if on]  # fmt: skip
        return " ".join(names)


def ansi_to_html(text: str) -> str:
    """HTML-escaped `text` with SGR colours as `<span class="ansi-red ansi-bold">`; other escapes removed.

    Classes: ``ansi-<colour>`` / ``ansi-bright-<colour>`` (foreground), ``ansi-bg-<colour>``,
    ``ansi-bold``, ``ansi-italic``, ``ansi-underline``; colours are black red green yellow blue
    magenta cyan white. 256-colour and RGB codes are reduced to the nearest of the 16.
    """
    text = text.replace("\r\n", "\n")
    style = _Style()
    segments: list[tuple[str, str]] = []  # (classes, raw text)

    def add(chunk: str):
        if not chunk:
            return
        classes = style.classes()
        if segments and segments[-1][0] == classes:
            segments[-1] = (classes, segments[-1][1] + chunk)
        else:
            segments.append((classes, chunk))

    position = 0
    for match in _ESCAPES.finditer(text):
        add(text[position : match.start()])
        position = match.end()
        if match.group(3) == "m" and not match.group(2):
            style.apply(match.group(1))
    add(text[position:])
    return "".join(
        f'<span class="{classes}">{html.escape(chunk)}</span>' if classes else html.escape(chunk)
        for classes, chunk in segments
    )


# --------------------------------------------------------------------------------------------
# Outputs to parts


def notice(text: str) -> dict:
    return {"type": "notice", "text": text}


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "".join(value)  # nbformat's multi-line strings
    return "" if value is None else str(value)


def _dimension(value) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_IMAGE_DIMENSION else None


def _image_part(mime: str, payload: bytes, data: dict, metadata: dict) -> dict:
    part = {
        "type": "image",
        "mime": mime,
        "src": f"data:{mime};base64," + base64.b64encode(payload).decode("ascii"),
        "alt": _as_text(data.get("text/plain")).strip()[:MAX_ALT_LENGTH] or "Output image",
    }
    specific = metadata.get(mime) if isinstance(metadata.get(mime), dict) else {}
    for key in ("width", "height"):
        size = _dimension(specific.get(key, metadata.get(key)))
        if size:
            part[key] = size
    return part


_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}


def _raster(mime: str, value, data: dict, metadata: dict) -> list[dict]:
    try:
        payload = base64.b64decode(re.sub(r"\s+", "", _as_text(value)), validate=True)
    except (binascii.Error, ValueError):
        payload = b""
    if not payload.startswith(_MAGIC[mime]):
        kind = mime.split("/")[1].upper()
        return [notice(f"An image could not be shown: it is not valid {kind} data.")]
    return [_image_part(mime, payload, data, metadata)]


def _svg(value, data: dict, metadata: dict) -> list[dict]:
    document = sanitize_svg(_as_text(value))
    if document is None:
        return [notice("An SVG image could not be shown: nothing safe was left of it.")]
    return [_image_part("image/svg+xml", document.encode("utf-8"), data, metadata)]


_LATEX_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def strip_latex_delimiters(latex: str) -> str | None:
    """The formula inside one pair of maths delimiters, or None if `latex` is text mixing several."""
    source = latex.strip()
    for opening, closing in _LATEX_DELIMITERS:
        if len(source) >= len(opening) + len(closing) and source.startswith(opening) and source.endswith(closing):
            inner = source[len(opening) : len(source) - len(closing)].strip()
            if re.search(r"(?<!\\)\$", inner):
                return None  # e.g. "$a$ and $b$": not one formula
            return inner or None
    return None if re.search(r"(?<!\\)\$", source) else (source or None)


def _has_content(markup: str) -> bool:
    return "<img" in markup or bool(re.sub(r"<[^>]*>", "", markup).strip())


_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def markdown_to_html(text: str) -> str:
    return sanitize_html(f'<div class="output-markdown">{_markdown.render(text)}</div>')


def json_to_html(value) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return sanitize_html(f'<pre class="json">{html.escape(value)}</pre>')  # a JSON cut by the runner
    pretty = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return sanitize_html(f'<pre class="json">{html.escape(pretty)}</pre>')


def _display_parts(output: dict) -> list[dict]:
    data = output.get("data") if isinstance(output.get("data"), dict) else {}
    metadata = output.get("metadata") if isinstance(output.get("metadata"), dict) else {}
    notices: list[dict] = []
    for mime in MIME_PREFERENCE:
        if mime not in data:
            continue
        value = data[mime]
        if mime in _MAGIC:
            parts = _raster(mime, value, data, metadata)
        elif mime == "image/svg+xml":
            parts = _svg(value, data, metadata)
        elif mime == "text/latex":
            latex = strip_latex_delimiters(_as_text(value))
            parts = [{"type": "latex", "latex": latex}] if latex else []
        elif mime in ("text/html", "text/markdown"):
            text = _as_text(value)
            markup = sanitize_html(text) if mime == "text/html" else markdown_to_html(text)
            parts = [{"type": "html", "html": markup}] if _has_content(markup) else []
        elif mime == "application/json":
            parts = [{"type": "html", "html": json_to_html(value)}]
        else:
            text = _as_text(value)
            parts = [{"type": "text", "stream": "stdout", "text": text if text.endswith("\n") else text + "\n"}]
        if parts and parts[-1]["type"] != "notice":
            return notices + parts
        notices += parts  # this representation failed; say so and try the next one
    if notices:
        return notices
    if data:
        return [notice(f"This output ({', '.join(sorted(data))[:200]}) cannot be shown here.")]
    return []


def traceback_html(output: dict) -> str:
    lines = output.get("traceback")
    text = "\n".join(_as_text(line) for line in lines) if isinstance(lines, list) else _as_text(lines)
    if not text.strip():
        text = f"{_as_text(output.get('ename')) or 'Error'}: {_as_text(output.get('evalue'))}"
    # A newline straight after <pre> is dropped by HTML parsers, so keep none there.
    return sanitize_html(f'<div class="traceback"><pre>{ansi_to_html(text.lstrip(chr(10)))}</pre></div>')


def parts_from_output(output: dict) -> list[dict]:
    """The parts of one nbformat-shaped output (see runner.outputs); [] for clear_output and unknown kinds."""
    kind = output.get("output_type")
    if kind == "stream":
        text = _as_text(output.get("text"))
        if output.get("truncated"):
            return [notice(text.strip())]
        stream = "stderr" if output.get("name") == "stderr" else "stdout"
        return [{"type": "text", "stream": stream, "text": text}] if text else []
    if kind in ("display_data", "execute_result", "update_display_data"):
        return _display_parts(output)
    if kind == "error":
        return [{"type": "html", "html": traceback_html(output)}]
    return []


def parts_from_outputs(outputs: list[dict]) -> list[dict]:
    """All parts of a cell's outputs, honouring clear_output and merging consecutive same-stream text."""
    parts: list[dict] = []
    clear_pending = False
    for output in outputs:
        if not isinstance(output, dict):
            continue
        if output.get("output_type") == "clear_output":
            if output.get("wait"):
                clear_pending = True
            else:
                parts, clear_pending = [], False
            continue
        try:
            new = parts_from_output(output)
        except Exception:  # one malformed output must not lose the whole cell
            logger.exception("Could not render an output of type %r", output.get("output_type"))
            new = [notice("This output could not be shown.")]
        if new and clear_pending:
            parts, clear_pending = [], False
        for part in new:
            previous = parts[-1] if parts else {}
            if part["type"] == "text" and previous.get("type") == "text" and previous["stream"] == part["stream"]:
                parts[-1] = {**previous, "text": previous["text"] + part["text"]}
            else:
                parts.append(part)
    return parts


# --------------------------------------------------------------------------------------------
# Static HTML (the example output shown in the page without JavaScript)

_IMAGE_SRC = re.compile(r"^data:image/(?:png|jpeg|svg\+xml);base64,[A-Za-z0-9+/=]+$")


def _pre_text(text: str) -> str:
    escaped = html.escape(text, quote=False)
    return "\n" + escaped if escaped.startswith("\n") else escaped  # the first newline after <pre> is eaten


def render_parts_html(parts: list[dict]) -> str:
    """Static HTML for parts (mark it safe in the template). HTML parts are sanitized again, as they may
    come from storage; images other than checked data: URIs are skipped."""
    chunks: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        kind = part.get("type")
        if kind == "text":
            stream, text = part.get("stream", "stdout"), _as_text(part.get("text"))
            while index + 1 < len(parts) and parts[index + 1].get("type") == "text":
                if parts[index + 1].get("stream", "stdout") != stream:
                    break
                index += 1
                text += _as_text(parts[index].get("text"))
            stream = "stderr" if stream == "stderr" else "stdout"
            chunks.append(f'<pre class="output-stream output-{stream}">{_pre_text(text)}</pre>')
        elif kind == "html":
            chunks.append(sanitize_html(_as_text(part.get("html"))))
        elif kind == "image" and _IMAGE_SRC.match(_as_text(part.get("src"))):
            attrs = {"src": part["src"], "alt": _as_text(part.get("alt")) or "Output image"}
            for key in ("width", "height"):
                if _dimension(part.get(key)):
                    attrs[key] = str(_dimension(part.get(key)))
            rendered = " ".join(f'{name}="{html.escape(value)}"' for name, value in attrs.items())
            chunks.append(f'<img class="output-image" {rendered}>')
        elif kind == "latex":
            latex = html.escape(_as_text(part.get("latex")))
            chunks.append(f'<div class="output-latex" data-latex="{latex}" data-display="block">{latex}</div>')
        elif kind == "notice":
            chunks.append(f'<p class="output-notice">{html.escape(_as_text(part.get("text")))}</p>')
        index += 1
    return "\n".join(chunks)
