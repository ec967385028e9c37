"""Notebooks for tests, built the way nbgrader's "Create Assignment" toolbar marks cells.

`square_exercise()` is a complete source notebook with one cell of every kind; the cell
helpers build anything else. Everything returns fresh nbformat nodes, safe to mutate.
"""

from __future__ import annotations

import copy
from html.parser import HTMLParser
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

PYTHON3 = {"name": "python3", "display_name": "Python 3", "language": "python"}

# Distinctive text that exists only in the hidden part of the source's hidden test.
HIDDEN_CHECK = "assert square(-7) == 49, 'squares of negative numbers are positive'"


def nbgrader(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    task: bool = False,
    points: Any = None,
    schema_version: int | None = 3,
) -> dict[str, Any]:
    """Cell metadata with an nbgrader section; `points` is only written when given."""
    meta: dict[str, Any] = {
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "grade_id": grade_id,
    }
    if schema_version is not None:
        meta["schema_version"] = schema_version
    if schema_version is None or schema_version >= 3:
        meta["task"] = task
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def code(source: str, metadata: dict[str, Any] | None = None) -> NotebookNode:
    return new_code_cell(source, metadata=nbformat.from_dict(metadata or {}))


def markdown(source: str, metadata: dict[str, Any] | None = None) -> NotebookNode:
    return new_markdown_cell(source, metadata=nbformat.from_dict(metadata or {}))


def answer(grade_id: str, source: str) -> NotebookNode:
    """A code cell the student writes in ("Autograded answer")."""
    return code(source, nbgrader(grade_id, solution=True))


def autotest(grade_id: str, source: str, points: float = 1) -> NotebookNode:
    """An autograder test cell ("Autograder tests")."""
    return code(source, nbgrader(grade_id, grade=True, locked=True, points=points))


def manual_answer(
    grade_id: str, source: str, points: float = 1, cell_type: str = "markdown"
) -> NotebookNode:
    """An answer graded by a person ("Manually graded answer")."""
    make = markdown if cell_type == "markdown" else code
    return make(source, nbgrader(grade_id, grade=True, solution=True, points=points))


def task(grade_id: str, source: str, points: float = 1) -> NotebookNode:
    """A markdown task graded by a person ("Manually graded task")."""
    return markdown(source, nbgrader(grade_id, locked=True, task=True, points=points))


def read_only(grade_id: str, source: str, cell_type: str = "code") -> NotebookNode:
    """Content the student may not change ("Read-only")."""
    make = markdown if cell_type == "markdown" else code
    return make(source, nbgrader(grade_id, locked=True))


def notebook(*cells: NotebookNode, kernelspec: dict | None = None) -> NotebookNode:
    return new_notebook(
        cells=list(cells), metadata=nbformat.from_dict({"kernelspec": kernelspec or PYTHON3})
    )


SQUARE_SOLUTION = "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
VISIBLE_TEST = "assert square(2) == 4"
HIDDEN_TEST = f"assert square(3) == 9\n### BEGIN HIDDEN TESTS\n{HIDDEN_CHECK}\n### END HIDDEN TESTS"


def square_exercise() -> NotebookNode:
    """A source notebook with one cell of every kind, worth 1 + 2 + 2 + 1 points.

    cells: intro (plain markdown), setup (read-only), square (answer), test_visible
    (1 point), test_hidden (2 points, with a hidden part), explain (manually graded
    markdown answer, 2 points), reflect (task, 1 point).
    """
    return notebook(
        markdown("# Squares\nWrite `square(x)`."),
        read_only("setup", "import math"),
        answer("square", SQUARE_SOLUTION),
        autotest("test_visible", VISIBLE_TEST, points=1),
        autotest("test_hidden", HIDDEN_TEST, points=2),
        manual_answer(
            "explain",
            "Why is a square never negative?\n### BEGIN SOLUTION\nminus times minus\n"
            "### END SOLUTION",
            points=2,
        ),
        task("reflect", "Draw the graph of `square` on paper.", points=1),
    )


def cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """The first cell of `nb` whose nbgrader grade_id is `grade_id`."""
    for candidate in nb.cells:
        if candidate.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return candidate
    raise KeyError(grade_id)


def position(nb: NotebookNode, grade_id: str) -> int:
    return nb.cells.index(cell(nb, grade_id))


def answered(student_nb: NotebookNode, **answers: str) -> NotebookNode:
    """A copy of a student notebook with the answer cells `grade_id=source` filled in."""
    submission = copy.deepcopy(student_nb)
    for grade_id, source in answers.items():
        cell(submission, grade_id).source = source
    return submission


def stream(text: str) -> NotebookNode:
    return new_output("stream", name="stdout", text=text)


def result(text: str) -> NotebookNode:
    return new_output("execute_result", data={"text/plain": text}, execution_count=1)


def error(ename: str, evalue: str, traceback: list[str] | None = None) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback or [])


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._in_style = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._in_style += tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style -= tag == "style"

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.parts.append(data)


def text_of(html: str) -> str:
    """The text a reader of an HTML page sees: tags and styles gone, entities decoded."""
    parser = _VisibleText()
    parser.feed(html)
    return "".join(parser.parts)
