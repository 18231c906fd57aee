"""Jupyter outputs to the parts the browser shows, and the same parts as static HTML."""

import base64
import binascii
import html
import json
import logging
import re

from markdown_it import MarkdownIt

from .ansi import ansi_to_html
from .html import sanitize_html
from .svg import sanitize_svg

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
