"""What a student's outputs look like on the feedback page: tables, figures, text.

Each output shows its richest representation the page can show safely, as Jupyter does
(a table, else an image, else text), from outputs shaped like those of pandas, matplotlib
and IPython. Student code makes these outputs, so every one is also an attack surface.
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from nbformat.v4 import new_output
from playwright.sync_api import sync_playwright

from grading.api import SubmissionViewSet
from grading.notebook.feedback import clean_output_html

from .builders import text_of
from .test_feedback import render_with_outputs

# A pandas DataFrame's _repr_html_ (pandas 2), with its scoped style element.
DATAFRAME_HTML = """<div>
<style scoped>
    .dataframe tbody tr th:only-of-type {
        vertical-align: middle;
    }
    .dataframe thead th {
        text-align: right;
    }
</style>
<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: right;">
      <th></th>
      <th>species</th>
      <th>petal_length</th>
    </tr>
  </thead>
  <tbody>
    <tr>
      <th>0</th>
      <td>setosa</td>
      <td>1.4</td>
    </tr>
    <tr>
      <th>1</th>
      <td>&lt;virginica&gt;</td>
      <td>5.9</td>
    </tr>
  </tbody>
</table>
</div>"""
DATAFRAME_TEXT = "  species  petal_length\n0  setosa           1.4\n1  <virginica>      5.9"

# A 2x2 JPEG, as PIL writes it.
JPEG_B64 = (
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRT"
    "c4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAACAAIDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAw"
    "QFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkK"
    "FhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmq"
    "KjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEB"
    "AQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRob"
    "HBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOE"
    "hYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+P"
    "n6/9oADAMBAAIRAxEAPwDHooorhPqD/9k="
)
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    '<rect width="40" height="20" fill="teal"/></svg>'
)


def png_b64(width: int = 3, height: int = 2) -> str:
    """A real PNG of a teal rectangle, base64 as matplotlib's inline backend sends it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + b"\x00\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
    return base64.b64encode(png + chunk(b"IEND", b"")).decode()


def figure(**extra) -> dict:
    """What matplotlib's inline backend displays for a figure."""
    return {"image/png": png_b64(), "text/plain": "<Figure size 640x480 with 1 Axes>", **extra}


def output_area(html: str) -> str:
    """The outputs of the answer cell (render_with_outputs puts them there)."""
    start = html.index('class="jp-OutputArea jp-Cell-outputArea"', html.index("squaring"))
    return html[start : html.index('<section class="grading-cell', start)]


def shown(html: str) -> list[str]:
    """The mimetype of each rendered output of the answer cell, in order."""
    return re.findall(r'data-mime-type="([^"]+)"', output_area(html))


# --- what a student sees ------------------------------------------------------------------


def test_a_dataframe_shows_as_a_table_without_its_style_element():
    html = render_with_outputs(
        [
            new_output(
                "execute_result",
                data={"text/html": DATAFRAME_HTML, "text/plain": DATAFRAME_TEXT},
                execution_count=4,
            )
        ]
    )
    area = output_area(html)

    assert shown(html) == ["text/html"]  # the table, not also its text
    assert '<table border="1" class="dataframe">' in area
    assert "<th>species</th>" in area and "<td>&lt;virginica&gt;</td>" in area
    assert "vertical-align" not in text_of(area)  # the CSS is not shown as text
    assert "<style" not in area and "style=" not in area


def test_a_matplotlib_figure_shows_as_an_inline_png_instead_of_its_text():
    html = render_with_outputs([new_output("display_data", data=figure())])

    assert shown(html) == []  # lab's image block has no mimetype attribute
    assert f'src="data:image/png;base64,{png_b64()}"' in html
    assert "<Figure size" not in text_of(html)


def test_a_jpeg_shows_as_an_inline_image():
    html = render_with_outputs(
        [new_output("display_data", data={"image/jpeg": JPEG_B64, "text/plain": "<Image>"})]
    )

    assert f'src="data:image/jpeg;base64,{JPEG_B64}"' in html


def test_an_svg_shows_as_an_image_never_inline():
    html = render_with_outputs(
        [new_output("display_data", data={"image/svg+xml": SVG, "text/plain": "<Figure>"})]
    )

    encoded = base64.b64encode(SVG.encode()).decode()
    assert f'src="data:image/svg+xml;base64,{encoded}"' in html
    assert "<svg" not in html and "<rect" not in html


def test_a_value_with_only_text_shows_its_text_and_latex_gives_way_to_text():
    html = render_with_outputs(
        [
            new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
            new_output(
                "execute_result",
                data={"text/latex": "$\\frac{x^{2}}{2}$", "text/plain": "x**2/2"},
                execution_count=2,
            ),
        ]
    )

    assert shown(html) == ["text/plain", "text/plain"]
    assert "x**2/2" in text_of(html) and "frac" not in text_of(html)


def test_html_that_needs_a_script_gives_way_to_the_next_representation():
    plotly = {
        "text/html": '<div id="p"></div><script>Plotly.newPlot("p", [])</script>',
        "image/png": png_b64(),
        "text/plain": "Figure({...})",
    }

    html = render_with_outputs([new_output("display_data", data=plotly)])

    assert f"data:image/png;base64,{png_b64()}" in html
    assert "Plotly" not in html


def test_image_sizes_from_the_output_metadata_are_kept_when_numeric():
    output = new_output(
        "display_data", data=figure(), metadata={"image/png": {"width": 320, "height": 240}}
    )

    html = render_with_outputs([output])

    assert re.search(r"<img[^>]*\bwidth=\"?320\b", html)


# --- what a student's output cannot do ----------------------------------------------------

ATTACKS = {
    "script-in-table": "<table><tr><td>1<script>fetch('/api/v1/me/')</script></td></tr></table>",
    "handlers": '<table onclick="x()"><tr onmouseover="y()"><td onfocus="z()">1</td></tr></table>',
    "style": '<table style="background:url(https://t.example/p)"><tr><td>1</td></tr></table>',
    "link-out": '<table><tr><td><a href="https://phish.example/login">log in</a></td></tr></table>',
    "pixel": '<table><tr><td><img src="https://t.example/p.png">1</td></tr></table>',
    "form": '<form action="https://phish.example"><input name="pw"><button>Go</button></form>',
    "frame": '<iframe src="https://t.example/"></iframe><object data="x.swf"></object>',
    "style-element": "<style>body{display:none}</style><table><tr><td>1</td></tr></table>",
    "svg-script": "<svg><script>alert(1)</script><a href='javascript:alert(1)'>x</a></svg>",
    "meta": '<meta http-equiv="refresh" content="0;url=https://phish.example">',
    "base": '<base href="https://phish.example/">',
    "javascript-url": '<img src="javascript:alert(1)"><a href="javascript:alert(1)">x</a>',
    "broken-markup": '<table><tr><td>1</td><scr<script>ipt>alert(1)</script><td "onclick=x()">',
}


@pytest.mark.parametrize("markup", ATTACKS.values(), ids=ATTACKS.keys())
def test_html_outputs_keep_no_script_style_handler_link_or_form(markup):
    html = render_with_outputs([new_output("display_data", data={"text/html": markup})])
    area = output_area(html)

    assert not re.search(r"<(script|style|iframe|object|form|input|meta|base|svg|a)\b", area)
    assert not re.search(r"\son\w+\s*=", area)
    assert "style=" not in area
    assert not re.search(r"""(src|href|action|data)=["']?(https?:|javascript:|//)""", area)


@pytest.mark.parametrize(
    "image",
    [
        'iVBORw0KGgo=" onerror="alert(1)',
        "iVBORw0KGgo=<script>alert(1)</script>",
        "not base64 at all!",
    ],
)
def test_image_data_that_is_not_base64_is_not_rendered_as_an_image(image):
    html = render_with_outputs(
        [new_output("display_data", data={"image/png": image, "text/plain": "<Figure>"})]
    )
    area = output_area(html)

    assert "<img" not in area
    assert "<Figure>" in text_of(area)  # the text fallback instead
    assert "<script" not in html and not re.search(r"\sonerror\s*=", html)


def test_cleaning_an_html_output_twice_changes_nothing():
    once = clean_output_html(DATAFRAME_HTML + ATTACKS["broken-markup"])

    assert clean_output_html(once) == once


# --- in a browser, under the feedback page's own Content-Security-Policy ------------------


def feedback_response(html: str):
    """The response the platform sends for a feedback page (grading.api), without a DB."""
    view = SubmissionViewSet()
    view.get_object = lambda: SimpleNamespace(feedback_html=html)
    return view.feedback(request=None, uid="any")


@pytest.mark.e2e
def test_tables_and_figures_show_in_a_browser_under_the_feedback_pages_policy():
    chromium = Path(shutil.which("chromium") or "/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("no Chromium here")
    page_html = render_with_outputs(
        [
            new_output("display_data", data=figure()),
            new_output("display_data", data={"image/svg+xml": SVG}),
            new_output("display_data", data={"image/jpeg": JPEG_B64}),
            new_output("display_data", data={"text/html": DATAFRAME_HTML}),
        ]
    )
    response = feedback_response(page_html)
    url = "http://feedback.test/api/v1/submissions/any/feedback/"
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.on("console", lambda message: refused.append(message.text))
            page.route(
                url,
                lambda route: route.fulfill(
                    status=200,
                    headers={
                        "Content-Type": response["Content-Type"],
                        "Content-Security-Policy": response["Content-Security-Policy"],
                    },
                    body=response.content,
                ),
            )
            page.goto(url)
            loaded = page.eval_on_selector_all(
                ".jp-OutputArea-output img", "images => images.map(i => i.naturalWidth)"
            )
            cells = page.locator("table.dataframe td").all_inner_texts()
        finally:
            browser.close()

    assert loaded == [3, 40, 2]  # the PNG, the SVG and the JPEG, all decoded
    assert cells == ["setosa", "1.4", "<virginica>", "5.9"]
    assert not [text for text in refused if "Content Security Policy" in text]
