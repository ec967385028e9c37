"""Code and formula blocks render safe HTML on the server."""

from xml.etree.ElementTree import fromstring

import pytest
from django.core.exceptions import ValidationError

from courses.blocks import (
    MATHML_ATTRIBUTES,
    MATHML_ELEMENTS,
    FormulaBlock,
    LatexBlock,
    highlight_code,
    latex_to_mathml,
)

NS = "{http://www.w3.org/1998/Math/MathML}"


def test_code_is_highlighted_with_pygments_spans_and_escaped():
    html = highlight_code("SELECT name FROM users WHERE id < 3; -- </pre><script>", "sql")

    assert html.startswith('<div class="highlight"><pre>')
    assert '<span class="k">SELECT</span>' in html
    assert "<script>" not in html and "&lt;/pre&gt;&lt;script&gt;" in html


def test_a_formula_becomes_mathml_with_its_source_as_alternative_text():
    html = latex_to_mathml(r"x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}")

    assert html.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"')
    assert 'alttext="x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}"' in html
    assert "<mfrac>" in html and "<msqrt>" in html
    assert "&#x" not in html  # characters, not double-escaped entity strings
    assert "±" in html


@pytest.mark.parametrize(
    "latex",
    [
        r"\text{<script>alert(1)</script>}",
        r"\href{javascript:alert(1)}{x}",
        r'\text{" onmouseover="alert(1)}',
    ],
)
def test_a_formula_cannot_carry_markup_or_links(latex):
    html = latex_to_mathml(latex)

    root = fromstring(html)  # noqa: S314 - our own output; well-formed when escaped
    assert root.attrib["alttext"] == latex
    for element in root.iter():
        assert element.tag.removeprefix(NS) in MATHML_ELEMENTS
        for name in element.attrib:
            assert name in MATHML_ATTRIBUTES or (element is root and name == "alttext")
    assert "<script" not in html


def test_a_malformed_formula_is_refused_when_saved():
    with pytest.raises(ValidationError):
        LatexBlock().clean(r"\frac{1}{")
    assert LatexBlock().clean(r"a^2 + b^2 = c^2") == r"a^2 + b^2 = c^2"


def test_a_stored_malformed_formula_shows_its_source_instead_of_failing():
    block = FormulaBlock()
    value = block.to_python({"latex": r"<b>\frac{1}{", "caption": ""})

    html = block.render(value)

    assert '<code class="math-latex">&lt;b&gt;\\frac{1}{</code>' in html
