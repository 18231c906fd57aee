"""Exercise prompts: Markdown with notebook-style maths, raw HTML escaped, headings under the exercise's."""

from exercises.prompts import prompt_html


def test_markdown_and_maths_render_as_in_a_notebook():
    html = prompt_html(
        "## 2. Momentum transfer\n\nReturn $Q_z$ in Å⁻¹ for `theta_deg` in **degrees**.\n\n"
        "$$Q_z = \\frac{4\\pi \\sin\\theta}{\\lambda}$$\n\n- one\n- two"
    )
    assert "<h4>2. Momentum transfer</h4>" in html  # under the exercise's <h2> title
    assert '<span class="maths-inline" data-latex="Q_z" data-display="inline">Q_z</span>' in html
    assert 'data-latex="Q_z = \\frac{4\\pi \\sin\\theta}{\\lambda}" data-display="block"' in html
    assert "<code>theta_deg</code>" in html and "<strong>degrees</strong>" in html
    assert "<li>one</li>" in html
    assert "d_spacing and a_b_c" in prompt_html("d_spacing and a_b_c")  # no emphasis inside names


def test_raw_html_and_script_links_do_not_reach_the_page():
    html = prompt_html(
        "<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))\n\n"
        '$x" onmouseover="alert(1)$'
    )
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html  # shown as text, not dropped: the trainer sees what they wrote
    assert attribute_names(html) <= {"class", "data-latex", "data-display", "href", "rel"}


def attribute_names(html: str) -> set[str]:
    from html.parser import HTMLParser

    names: set[str] = set()
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: names.update(name for name, _ in attrs)
    parser.feed(html)
    return names


def test_an_empty_prompt_renders_nothing():
    assert prompt_html("  \n") == ""
