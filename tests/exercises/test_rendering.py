"""Jupyter outputs to safe parts: hostile inputs come out inert, real scientific outputs stay readable."""

import base64
import io
import re
import xml.etree.ElementTree as ElementTree

import pytest

from cells import rendering
from cells.rendering import (
    ansi_to_html,
    parts_from_output,
    parts_from_outputs,
    render_parts_html,
    sanitize_html,
    sanitize_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def display(data: dict, metadata: dict | None = None, kind: str = "display_data") -> dict:
    return {"output_type": kind, "data": data, "metadata": metadata or {}}


def assert_inert(markup: str):
    """No script, event handler, javascript: URL, style, frame or form survives, in any spelling."""
    lowered = " ".join(re.findall(r"<[^>]*>", markup.lower()))  # escaped text is inert: look at tags only
    for needle in ("<script", "<iframe", "<object", "<embed", "<style", "<form", "<input", "<button", "<math",
                   "<svg", "<link", "<meta", "<base", "javascript:", "vbscript:", "style=", "target=",
                   "xlink:href", "<foreignobject"):  # fmt: skip
        assert needle not in lowered, (needle, markup)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), markup


def svg_document(part: dict) -> ElementTree.Element:
    assert part["type"] == "image" and part["mime"] == "image/svg+xml"
    prefix = "data:image/svg+xml;base64,"
    assert part["src"].startswith(prefix)
    return ElementTree.fromstring(base64.b64decode(part["src"][len(prefix) :]))


# --------------------------------------------------------------------------------------------
# General HTML

HOSTILE_HTML = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<img src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>',
    '<a href="https://example.org" target="_blank" onclick="alert(1)">x</a>',
    "<svg onload=alert(1)><circle r=5 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "<style>body{display:none}</style>",
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">cover</div>',
    '<form action="/accounts/logout/" method="post"><input name="x"><button>Go</button></form>',
    '<math><mi xlink:href="javascript:alert(1)">click</mi></math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<link rel="stylesheet" href="https://evil.example/x.css"><meta http-equiv="refresh" content="0;url=x">',
    '<base href="https://evil.example/">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    '<details open ontoggle="alert(1)"><summary>s</summary></details>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<div id="panlearnMaths" name="x">clobber</div>',
]


@pytest.mark.parametrize("markup", HOSTILE_HTML)
def test_hostile_html_is_inert(markup):
    cleaned = sanitize_html(markup)
    assert_inert(cleaned)
    assert "id=" not in cleaned and "name=" not in cleaned
    # And through a display_data bundle, the way kernels send it.
    for part in parts_from_output(display({"text/html": markup, "text/plain": "fallback"})):
        if part["type"] == "html":
            assert_inert(part["html"])


def test_sanitize_html_keeps_ordinary_markup_and_safe_links():
    cleaned = sanitize_html(
        '<p class="lead">A <b>bold</b> <a href="https://example.org/x" target="_blank">link</a>'
        ' <a href="mailto:a@b.c">mail</a> <a href="/accounts/logout/">relative</a>'
        ' <img src="data:image/png;base64,iVBORw0KGgo=" alt="dot"></p>'
    )
    assert '<p class="lead">A <b>bold</b>' in cleaned
    assert '<a href="https://example.org/x" rel="noopener noreferrer">link</a>' in cleaned
    assert 'href="mailto:a@b.c"' in cleaned
    assert "/accounts/logout/" not in cleaned
    assert '<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">' in cleaned


def test_img_src_only_http_or_data_image():
    assert "src" not in sanitize_html('<img src="data:text/html;base64,PHNjcmlwdD4=">')
    assert "src" not in sanitize_html('<img src="ftp://example.org/x.png">')
    assert 'src="https://example.org/x.png"' in sanitize_html('<img src="https://example.org/x.png">')


def test_pandas_dataframe_stays_a_table():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"two_theta": [10.5, 21.0], "phase": ["Si", "<script>alert(1)</script>"]},
        index=pd.MultiIndex.from_tuples([("run", 1), ("run", 2)]),
    )
    (part,) = parts_from_output(
        display({"text/html": frame._repr_html_(), "text/plain": repr(frame)}, {}, "execute_result")
    )
    assert part["type"] == "html"
    markup = part["html"]
    assert_inert(markup)
    assert '<table border="1" class="dataframe">' in markup
    for tag in ("<thead>", "<tbody>", "<tr>", "<th>", "<td>"):
        assert tag in markup
    assert '<th rowspan="2" valign="top">run</th>' in markup
    assert markup.count("<tr") == 3
    assert "<td>10.5</td>" in markup and "<td>Si</td>" in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup  # the cell's text, escaped
    assert ".dataframe tbody" not in markup  # the <style> went with its content


def test_html_that_is_empty_once_sanitized_falls_back_to_text():
    bundle = {"text/html": '<div id="plot"></div><script>draw()</script>', "text/plain": "<Plot object>"}
    assert parts_from_output(display(bundle)) == [{"type": "text", "stream": "stdout", "text": "<Plot object>\n"}]


# --------------------------------------------------------------------------------------------
# Markdown, JSON, LaTeX, unknown types


def test_markdown_renders_and_escapes_raw_html():
    text = "# Title\n\nSome *maths* and `code`.\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
    text += "[bad](javascript:alert(1)) [good](https://example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    (part,) = parts_from_output(display({"text/markdown": text, "text/plain": "md"}))
    markup = part["html"]
    assert_inert(markup)
    assert "<h1>Title</h1>" in markup and "<em>maths</em>" in markup and "<code>code</code>" in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    assert 'href="https://example.org"' in markup
    assert "<table>" in markup and "<td>1</td>" in markup


def test_json_is_pretty_printed_and_escaped():
    value = {"sample": "<script>alert(1)</script>", "q": [0.1, 0.2]}
    (part,) = parts_from_output(display({"application/json": value, "text/plain": "{...}"}))
    assert part["type"] == "html"
    assert part["html"].startswith('<pre class="json">{\n  "sample": "&lt;script&gt;')
    assert_inert(part["html"])
    (cut,) = parts_from_output(display({"application/json": '{"a": [1, 2'}))  # cut by the runner's budget
    assert cut["html"] == '<pre class="json">{"a": [1, 2</pre>'


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$$\\frac{a}{b}$$", "\\frac{a}{b}"),
        ("$\\displaystyle x^{2} + 1$", "\\displaystyle x^{2} + 1"),
        ("\\[ E = mc^2 \\]", "E = mc^2"),
        ("\\( \\lambda = 2d\\sin\\theta \\)", "\\lambda = 2d\\sin\\theta"),
        ("  \\sum_i q_i  ", "\\sum_i q_i"),
        ("$\\$5$", "\\$5"),
    ],
)
def test_latex_delimiters_are_stripped(source, expected):
    assert parts_from_output(display({"text/latex": source, "text/plain": "x"})) == [
        {"type": "latex", "latex": expected}
    ]


def test_latex_mixing_text_and_several_formulas_falls_back():
    parts = parts_from_output(display({"text/latex": "Here $a$ and $b$", "text/plain": "Here a and b"}))
    assert parts == [{"type": "text", "stream": "stdout", "text": "Here a and b\n"}]


def test_unknown_mime_types_fall_back_to_text_plain():
    bundle = {
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc"},
        "application/javascript": "alert(1)",
        "image/gif": "R0lGODlh",
        "text/plain": "IntSlider(value=3)",
    }
    assert parts_from_output(display(bundle)) == [{"type": "text", "stream": "stdout", "text": "IntSlider(value=3)\n"}]
    (only,) = parts_from_output(display({"application/javascript": "alert(1)"}))
    assert only["type"] == "notice" and "alert(1)" not in only["text"]


def test_nbformat_multiline_strings_are_joined():
    (part,) = parts_from_output(display({"text/plain": ["line 1\n", "line 2"]}, kind="execute_result"))
    assert part["text"] == "line 1\nline 2\n"


# --------------------------------------------------------------------------------------------
# Images


@pytest.fixture
def figure():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(np.linspace(0, 1, 20), np.linspace(0, 1, 20) ** 2, label="I(q) & <fit>")
    ax.imshow(np.arange(16.0).reshape(4, 4), extent=(0, 1, 0, 1))
    ax.set_title("Bragg peaks")
    ax.legend()
    yield fig
    plt.close(fig)


def test_real_matplotlib_png_becomes_an_image(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    encoded = base64.encodebytes(buffer.getvalue()).decode()  # with newlines, as some kernels send it
    bundle = {"image/png": encoded, "text/plain": "<Figure size 400x300 with 1 Axes>"}
    (part,) = parts_from_output(display(bundle, {"image/png": {"width": 400, "height": 300}}))
    assert part["type"] == "image" and part["mime"] == "image/png"
    assert part["src"] == "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    assert part["alt"] == "<Figure size 400x300 with 1 Axes>"
    assert (part["width"], part["height"]) == (400, 300)
    assert '<img class="output-image" src="data:image/png;base64,' in render_parts_html([part])
    assert 'alt="&lt;Figure size 400x300 with 1 Axes&gt;" width="400" height="300">' in render_parts_html([part])


def test_jpeg_is_checked_by_magic_bytes():
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 20).decode()
    (part,) = parts_from_output(display({"image/jpeg": jpeg}))
    assert part["mime"] == "image/jpeg" and part["src"].startswith("data:image/jpeg;base64,/9j/")
    (bad,) = parts_from_output(display({"image/jpeg": base64.b64encode(b"<svg onload=alert(1)>").decode()}))
    assert bad["type"] == "notice"


@pytest.mark.parametrize(
    "payload",
    ["not base64 at all!!", base64.b64encode(b"<html><script>alert(1)</script>").decode(), "", "iVBORw0KGgo"],
)
def test_invalid_png_is_dropped_with_a_notice(payload):
    (part,) = parts_from_output(display({"image/png": payload}))
    assert part["type"] == "notice" and "PNG" in part["text"]
    # With a text/plain alternative, the notice is followed by it.
    parts = parts_from_output(display({"image/png": payload, "text/plain": "<Figure>"}))
    assert [p["type"] for p in parts] == ["notice", "text"]


def test_bad_dimensions_are_ignored():
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()
    (part,) = parts_from_output(display({"image/png": png}, {"width": "-3", "height": '100" onerror="x'}))
    assert "width" not in part and "height" not in part
    (part,) = parts_from_output(display({"image/png": png}, {"width": 320.0}))
    assert part["width"] == 320


def test_real_matplotlib_svg_survives_readable(figure):
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    (part,) = parts_from_output(display({"image/svg+xml": buffer.getvalue(), "text/plain": "<Figure>"}))
    root = svg_document(part)
    assert root.tag == f"{SVG}svg" and root.get("viewBox")
    assert root.get("stroke-linejoin") == "round"  # matplotlib's `* {...}` stylesheet, kept as attributes
    paths = root.findall(f".//{SVG}path")
    assert len(paths) > 20
    assert any(path.get("fill") == "#ffffff" for path in paths)  # style="fill: #ffffff" became an attribute
    assert any(path.get("stroke") == "#1f77b4" for path in paths)  # the plotted line keeps its colour
    uses = root.findall(f".//{SVG}use")
    assert uses and all(use.get("href").startswith("#") for use in uses)  # glyphs of the labels
    assert root.findall(f".//{SVG}clipPath") and root.find(f".//{SVG}g[@clip-path]") is not None
    (image,) = root.findall(f".//{SVG}image")  # the imshow raster
    assert image.get("href").startswith("data:image/png;base64,iVBOR")
    text = ElementTree.tostring(root, encoding="unicode")
    assert "style=" not in text and "metadata" not in text and "<script" not in text


HOSTILE_SVG = [
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="5" height="5"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="5" height="5"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><SCRIPT xlink:href="https://evil.example/x.js"/><rect/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe src="https://evil.example"/>'
    '<body onload="alert(1)"/></foreignObject><rect/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<use xlink:href="https://evil.example/sprite.svg#x"/><use href="//evil.example/a.svg#y"/>'
    '<use href="data:image/svg+xml;base64,PHN2Zz4=#z"/><rect/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>click</text></a></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/x)" '
    'fill="url(https://evil.example/y)" onclick="alert(1)" OnMouseOver="alert(1)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style>'
    '<animate attributeName="href" to="javascript:alert(1)"/><set attributeName="onload" to="alert(1)"/>'
    "<rect/></svg>",
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/track.png"/>'
    '<image href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/><rect/></svg>',
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "&#60;script&#62;alert(1)&#60;/script&#62;">]>'
    '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text><rect/></svg>',
]


@pytest.mark.parametrize("svg", HOSTILE_SVG)
def test_hostile_svg_is_inert(svg):
    parts = parts_from_output(display({"image/svg+xml": svg}))
    assert len(parts) == 1
    if parts[0]["type"] == "notice":
        return
    root = svg_document(parts[0])
    text = ElementTree.tostring(root, encoding="unicode").lower()
    for needle in ("script", "foreignobject", "iframe", "javascript:", "evil.example", "style", "animate",
                   "<set", "<a ", "data:image/svg"):  # fmt: skip
        assert needle not in text, (needle, text)
    assert not re.search(r"\son[a-z]+=", text)
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.endswith("href"):
                assert value.startswith(("#", "data:image/png;base64,")), (name, value)


def test_svg_with_nothing_safe_left_gives_a_notice():
    parts = parts_from_output(display({"image/svg+xml": "<script>alert(1)</script>", "text/plain": "x"}))
    assert [part["type"] for part in parts] == ["notice", "text"]
    assert sanitize_svg("not svg") is None


def test_svg_nbsp_stays_well_formed_xml():
    document = sanitize_svg('<svg><text x="1">a&nbsp;b</text></svg>')
    assert ElementTree.fromstring(document).find(f"{SVG}text").text == "a\u00a0b"


# --------------------------------------------------------------------------------------------
# Streams, notices, errors


def test_streams_are_text_and_merge_per_stream():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "<b>1</b>\n"},
        {"output_type": "stream", "name": "stdout", "text": "  2\x1b[31m\n"},
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
        {"output_type": "stream", "name": "stdout", "text": "3\n"},
    ]
    assert parts_from_outputs(outputs) == [
        {"type": "text", "stream": "stdout", "text": "<b>1</b>\n  2\x1b[31m\n"},
        {"type": "text", "stream": "stderr", "text": "warn\n"},
        {"type": "text", "stream": "stdout", "text": "3\n"},
    ]


def test_truncation_notice_becomes_a_notice_part():
    from runner.outputs import OutputBudget, output_from_message

    budget = OutputBudget(max_text_bytes=10, max_image_bytes=10)
    message = {"header": {"msg_type": "stream"}, "content": {"name": "stdout", "text": "0123456789abcdef"}}
    parts = parts_from_outputs(output_from_message(message, budget))
    assert parts[0] == {"type": "text", "stream": "stdout", "text": "0123456789"}
    assert parts[1]["type"] == "notice" and parts[1]["text"].startswith("[Output truncated")


def test_clear_output():
    line = {"output_type": "stream", "name": "stdout", "text": "step\n"}
    assert parts_from_outputs([line, {"output_type": "clear_output", "wait": False}]) == []
    assert parts_from_outputs([line, {"output_type": "clear_output", "wait": True}, line]) == [
        {"type": "text", "stream": "stdout", "text": "step\n"}
    ]
    assert parts_from_outputs([line, {"output_type": "clear_output", "wait": True}]) == [
        {"type": "text", "stream": "stdout", "text": "step\n"}
    ]


def test_malformed_outputs_do_not_crash():
    outputs = [
        None,
        {"output_type": "display_data", "data": "nope"},
        {"output_type": "display_data", "data": {"image/png": 12, "text/html": None}},
        {"output_type": "stream", "name": "stdout", "text": None},
        {"output_type": "error"},
        {"output_type": "weird"},
    ]
    parts = parts_from_outputs(outputs)
    assert parts[-1]["type"] == "html" and "Error: " in parts[-1]["html"]


def ipython_traceback() -> list[str]:
    """An exception formatted the way IPython's VerboseTB colours it."""
    try:
        {}["missing"]
    except KeyError as error:
        ename, evalue = type(error).__name__, str(error)
    red, green, cyan, bold_green = "\x1b[0;31m", "\x1b[0;32m", "\x1b[0;36m", "\x1b[1;32m"
    grey, reset = "\x1b[38;5;241m", "\x1b[0m"
    return [
        f"{red}---------------------------------------------------------------------------{reset}",
        f"{red}{ename}{reset}                                  Traceback (most recent call last)",
        f"Cell {green}In[3], line 1{reset}\n{bold_green}----> 1{reset} {{}}[{cyan}'missing'{reset}] < 2 & 3",
        f"{grey}      2{reset} \x1b[38;2;255;0;0mtrue colour\x1b[39m \x1b[1mbold\x1b[22m \x1b[2Kcleared"
        "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1b[97;41mbright on red\x1b[m",
        f"{red}{ename}{reset}: {evalue}",
    ]


def test_ansi_traceback_becomes_spans():
    (part,) = parts_from_output({"output_type": "error", "ename": "KeyError", "evalue": "'missing'",
                                 "traceback": ipython_traceback()})  # fmt: skip
    markup = part["html"]
    assert part["type"] == "html"
    assert markup.startswith('<div class="traceback"><pre>') and markup.endswith("</pre></div>")
    assert "\x1b" not in markup and "\x07" not in markup and "[0;31m" not in markup
    assert '<span class="ansi-red">KeyError</span>' in markup
    assert "<span class=\"ansi-cyan\">'missing'</span>" in markup
    assert '<span class="ansi-green ansi-bold">----&gt; 1</span>' in markup
    assert '<span class="ansi-bright-black">      2</span>' in markup  # 38;5;241 is a grey
    assert '<span class="ansi-bright-red">true colour</span>' in markup
    assert '<span class="ansi-bold">bold</span>' in markup
    assert '<span class="ansi-bright-white ansi-bg-red">bright on red</span>' in markup
    assert "&lt; 2 &amp; 3" in markup
    assert " clearedlink " in markup and "evil.example" not in markup


def test_ansi_to_html_escapes_and_resets():
    assert ansi_to_html("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert ansi_to_html("\x1b[31ma\x1b[0mb\x1b[31;1mc\x1b[mD") == (
        '<span class="ansi-red">a</span>b<span class="ansi-red ansi-bold">c</span>D'
    )
    assert ansi_to_html("\x1b[31m\x1b[39mplain\x1b[") == "plain"  # an unfinished escape is removed
    assert ansi_to_html("\x1b[38;5;196mr\x1b[38;5;21mb\x1b[38;5;999mx") == (
        '<span class="ansi-bright-red">r</span><span class="ansi-blue">bx</span>'
    )
    assert ansi_to_html('\x1b[31m"><script>') == '<span class="ansi-red">&quot;&gt;&lt;script&gt;</span>'


def test_traceback_without_lines_uses_name_and_value():
    (part,) = parts_from_output({"output_type": "error", "ename": "ValueError", "evalue": "<bad>", "traceback": []})
    assert part["html"] == '<div class="traceback"><pre>ValueError: &lt;bad&gt;</pre></div>'


# --------------------------------------------------------------------------------------------
# Static rendering


def test_render_parts_html():
    parts = [
        {"type": "text", "stream": "stdout", "text": "\n<b>a</b>\n"},
        {"type": "text", "stream": "stdout", "text": "b\n"},
        {"type": "text", "stream": "stderr", "text": "warn"},
        {"type": "html", "html": "<table><tr><td>1</td></tr></table>"},
        {"type": "latex", "latex": '\\frac{a}{b} "<x>"'},
        {"type": "notice", "text": "[Output truncated <here>]"},
        {"type": "image", "mime": "image/png", "src": "javascript:alert(1)", "alt": "x"},
    ]
    assert render_parts_html(parts) == "\n".join(
        [
            '<pre class="output-stream output-stdout">\n\n&lt;b&gt;a&lt;/b&gt;\nb\n</pre>',
            '<pre class="output-stream output-stderr">warn</pre>',
            "<table><tbody><tr><td>1</td></tr></tbody></table>",
            '<div class="output-latex" data-latex="\\frac{a}{b} &quot;&lt;x&gt;&quot;" data-display="block">'
            "\\frac{a}{b} &quot;&lt;x&gt;&quot;</div>",
            '<p class="output-notice">[Output truncated &lt;here&gt;]</p>',
        ]
    )


def test_render_parts_html_sanitizes_stored_html_again():
    assert_inert(render_parts_html([{"type": "html", "html": "<img src=x onerror=alert(1)><script>x</script>"}]))


def test_end_to_end_cell(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "fitting...\n"},
        display({"image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"}),
        display({"text/latex": "$a^2$", "text/plain": "a**2"}, kind="execute_result"),
    ]
    html_out = render_parts_html(parts_from_outputs(outputs))
    assert html_out.count("<img ") == 1 and 'data-latex="a^2"' in html_out and "fitting..." in html_out
    assert rendering.MIME_PREFERENCE[0] == "image/png"


def test_an_output_image_without_a_text_alternative_gets_an_empty_one():
    from cells.rendering import sanitize_html

    assert sanitize_html('<img src="data:image/png;base64,AA">') == '<img alt="" src="data:image/png;base64,AA">'
    assert sanitize_html('<img alt="A Guinier plot" src="data:image/png;base64,AA">').count("alt=") == 1
