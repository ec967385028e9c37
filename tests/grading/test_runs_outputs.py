"""What a run shows under each cell (grading.runs.convert_outputs, cells_of): the kernel's
outputs turned into plain JSON the page can show without trusting them. Pure: no
database, no sandbox."""

from __future__ import annotations

import base64

import pytest
from nbformat.v4 import new_code_cell, new_output

from grading.notebook.types import CellExecution, ExecutionResult
from grading.runs import cells_of, clean_table_html, convert_outputs, visible_test_message
from tests.grading.notebook.builders import answer, autotest, notebook, read_only

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake image bytes").decode()

# What pandas' DataFrame._repr_html_ gives (style sheet included), with a few additions a
# student could print through IPython.display.HTML.
PANDAS_HTML = """<div>
<style scoped>
    .dataframe tbody tr th:only-of-type { vertical-align: middle; }
</style>
<script>fetch('/api/v1/me/')</script>
<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: right;"><th></th><th colspan="2" onclick="steal()">city</th></tr>
  </thead>
  <tbody>
    <tr><th>0</th><td>Baku &lt;b&gt;</td><td><a href="javascript:x()">Ganja</a>
        <img src="x" onerror="steal()"></td></tr>
  </tbody>
</table>
<p>1 rows × 2 columns</p>
</div>"""


def test_streams_keep_their_name_and_lose_terminal_colours():
    outputs = [
        new_output("stream", name="stdout", text="1 + 4 + 9 = 14\n"),
        {"output_type": "stream", "name": "stderr", "text": ["\x1b[31mwarning\x1b[0m", "\n"]},
        {"output_type": "stream", "name": "weird", "text": "x"},
    ]

    assert convert_outputs(outputs) == [
        {"type": "stream", "name": "stdout", "text": "1 + 4 + 9 = 14\n"},
        {"type": "stream", "name": "stderr", "text": "warning\n"},
        {"type": "stream", "name": "stdout", "text": "x"},
    ]


def test_an_error_has_its_traceback_as_plain_text():
    traceback = [
        "\x1b[0;31m-----------------------------------------\x1b[0m",
        "\x1b[0;31mZeroDivisionError\x1b[0m   Traceback (most recent call last)",
        "Cell \x1b[0;32mIn[3], line 2\x1b[0m\n"
        "\x1b[1;32m----> 2\x1b[0m total \x1b[38;5;241m/\x1b[39m 0",
        "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
    ]
    [item] = convert_outputs(
        [
            new_output(
                "error", ename="ZeroDivisionError", evalue="division by zero", traceback=traceback
            )
        ]
    )

    assert item["type"] == "error"
    assert item["ename"] == "ZeroDivisionError" and item["evalue"] == "division by zero"
    assert "\x1b" not in item["traceback"]
    assert "----> 2 total / 0" in item["traceback"]
    assert item["traceback"].endswith("ZeroDivisionError: division by zero")


def test_a_plot_is_an_image_rather_than_its_text():
    figure = new_output(
        "display_data",
        data={
            "image/png": PNG[:20] + "\n" + PNG[20:] + "\n",
            "text/plain": "<Figure size 640x480>",
        },
    )

    assert convert_outputs([figure]) == [{"type": "image", "mime": "image/png", "data": PNG}]


def test_an_svg_is_sent_as_base64_of_its_text():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    [item] = convert_outputs([new_output("display_data", data={"image/svg+xml": svg})])

    assert item["mime"] == "image/svg+xml"
    assert base64.b64decode(item["data"]).decode() == svg


def test_an_image_that_is_not_base64_falls_back_to_its_text():
    broken = new_output("display_data", data={"image/png": "<<not base64>>", "text/plain": "img"})

    assert convert_outputs([broken]) == [{"type": "text", "text": "img"}]


def test_a_dataframe_is_a_table_with_nothing_but_table_markup():
    result = new_output(
        "execute_result", data={"text/html": PANDAS_HTML, "text/plain": "  city\n0 Baku"}
    )
    [item] = convert_outputs([result])

    assert item["type"] == "html"
    html = item["html"]
    assert html.startswith("<table>")
    assert '<th colspan="2">city</th>' in html
    assert "Baku &lt;b&gt;" in html  # text stays text
    for gone in ("style", "vertical-align", "script", "fetch", "onclick", "href", "<a", "<img"):
        assert gone not in html, gone
    assert "Ganja" in html


def test_html_that_is_not_a_table_is_shown_as_text():
    bold = new_output("display_data", data={"text/html": "<b>bold</b> &amp; <style>p{}</style>!"})
    with_plain = new_output("display_data", data={"text/html": "<b>x</b>", "text/plain": "X"})

    assert convert_outputs([bold, with_plain]) == [
        {"type": "text", "text": "bold & !"},
        {"type": "text", "text": "X"},
    ]


def test_scripts_and_widgets_are_left_out():
    outputs = [
        new_output("display_data", data={"application/javascript": "alert(1)"}),
        new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {}}),
        {"output_type": "something_else"},
    ]

    assert convert_outputs(outputs) == []


@pytest.mark.parametrize(
    "html",
    [
        "<table><tr><td>1</td></tr></table><script>alert(1)</script>",
        "<table><tr><td><iframe src=//evil></iframe>1</td></tr></table>",
        "<TABLE><tr><td style='x' class=y id=z>1</td></tr></TABLE><!-- comment -->",
        "<table><tr><td><svg onload=alert(1)>1</svg></td></tr></table>",
    ],
)
def test_a_cleaned_table_keeps_no_markup_but_a_tables(html):
    cleaned = clean_table_html(html)

    assert "1" in cleaned
    for gone in ("script", "iframe", "style", "class", "id=", "svg", "onload", "comment"):
        assert gone not in cleaned.lower(), gone


# ---------------------------------------------------------------------------------------
# Cells and visible tests
# ---------------------------------------------------------------------------------------


def executed(*cells_and_statuses):
    """An ExecutionResult of code cells with the given (cell, CellExecution fields)."""
    cells = [cell for cell, _ in cells_and_statuses]
    executions = tuple(
        CellExecution(index=i, **fields) for i, (_, fields) in enumerate(cells_and_statuses)
    )
    return ExecutionResult(notebook=notebook(*cells), cells=executions)


def with_outputs(cell, *outputs):
    cell.outputs = list(outputs)
    return cell


def test_a_run_stops_showing_cells_after_the_first_that_failed():
    result = executed(
        (
            with_outputs(
                read_only("setup", "import math"),
            ),
            {"status": "ok"},
        ),
        (
            with_outputs(
                answer("square", "def square(x) return x"),
                new_output("error", ename="SyntaxError", evalue="invalid syntax", traceback=[]),
            ),
            {"status": "error", "ename": "SyntaxError", "evalue": "invalid syntax"},
        ),
        (
            with_outputs(
                autotest("test_visible", "assert square(2) == 4"),
                new_output("error", ename="NameError", evalue="name 'square' is not defined"),
            ),
            {"status": "error", "ename": "NameError", "evalue": "name 'square' is not defined"},
        ),
    )

    cells = cells_of(result, stop_at_first_error=True)

    assert [(c["grade_id"], c["status"]) for c in cells] == [
        ("setup", "ok"),
        ("square", "error"),
        ("test_visible", "not_run"),
    ]
    assert cells[2]["outputs"] == []  # no NameError that only follows from the first error
    checked = cells_of(result, stop_at_first_error=False)
    assert checked[2]["status"] == "error" and checked[2]["test"] is True


def test_a_plain_cell_has_no_grade_id_and_an_aborted_one_did_not_run():
    result = executed(
        (new_code_cell("print(1)"), {"status": "aborted"}),
        (new_code_cell("x"), {"status": "something odd"}),
    )

    cells = cells_of(result, stop_at_first_error=False)

    assert cells[0]["grade_id"] is None and cells[0]["status"] == "not_run"
    assert cells[1]["status"] == "error"
    assert "test" not in cells[0]


def traceback_of(line: str) -> list[dict]:
    return convert_outputs(
        [
            new_output(
                "error",
                ename="AssertionError",
                evalue="",
                traceback=[
                    "\x1b[0;31mAssertionError\x1b[0m    Traceback (most recent call last)",
                    f"Cell \x1b[0;32mIn[4], line 1\x1b[0m\n\x1b[1;32m----> 1\x1b[0m {line}\n",
                    "\x1b[0;31mAssertionError\x1b[0m: ",
                ],
            )
        ]
    )


def test_a_failed_test_says_the_assertions_message():
    failed = CellExecution(
        index=3, status="error", ename="AssertionError", evalue="1 + 4 + 9 is 14"
    )

    assert visible_test_message("error", failed, []) == "1 + 4 + 9 is 14"


def test_an_assertion_without_a_message_names_its_line():
    failed = CellExecution(index=3, status="error", ename="AssertionError", evalue="")

    message = visible_test_message("error", failed, traceback_of("assert square(2) == 4"))

    assert message == "This check failed: assert square(2) == 4"


def test_another_error_is_named_with_its_text():
    failed = CellExecution(
        index=3, status="error", ename="NameError", evalue="name 'sq' is not defined"
    )

    assert visible_test_message("error", failed, []) == "NameError: name 'sq' is not defined"
    assert visible_test_message("ok", CellExecution(index=3, status="ok"), []) == ""
    not_run = CellExecution(index=3, status="not_run")
    assert "did not run" in visible_test_message("not_run", not_run, [])
