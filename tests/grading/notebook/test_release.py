import json

import pytest

from grading.notebook.checksum import compute_checksum
from grading.notebook.errors import NotebookError
from grading.notebook.release import release

from .builders import (
    HIDDEN_CHECK,
    answer,
    answered,
    autotest,
    cell,
    code,
    markdown,
    notebook,
    result,
    square_exercise,
)


def test_replaces_solution_regions_by_the_stub_keeping_the_skeleton():
    student = release(square_exercise())

    assert cell(student, "square").source == (
        "def square(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert cell(student, "explain").source == "Why is a square never negative?\nYOUR ANSWER HERE"


def test_replaces_a_whole_answer_cell_without_markers_by_the_stub():
    student = release(notebook(answer("a", "x = 42")))

    assert cell(student, "a").source == "# YOUR CODE HERE\nraise NotImplementedError()"


def test_removes_hidden_tests_and_keeps_visible_ones():
    student = release(square_exercise())

    assert cell(student, "test_hidden").source == "assert square(3) == 9"
    assert cell(student, "test_visible").source == "assert square(2) == 4"


def test_leaves_no_trace_of_hidden_tests_or_solutions_anywhere_in_the_json():
    source = square_exercise()
    hidden = cell(source, "test_hidden")
    hidden.outputs = [result(HIDDEN_CHECK)]
    hidden.metadata["execution"] = {"note": HIDDEN_CHECK}
    hidden.metadata["tool_state"] = {"last_run": HIDDEN_CHECK}
    source.metadata["widgets"] = {"state": HIDDEN_CHECK}
    source.metadata["celltoolbar"] = "Create Assignment"

    text = json.dumps(release(source))

    assert HIDDEN_CHECK not in text
    assert "HIDDEN TESTS" not in text
    assert "return x * x" not in text
    assert "minus times minus" not in text
    assert "celltoolbar" not in text


def test_clears_outputs_and_execution_counts():
    source = square_exercise()
    for code_cell in (c for c in source.cells if c.cell_type == "code"):
        code_cell.outputs = [result("1")]
        code_cell.execution_count = 7

    student = release(source)

    assert all(
        c.outputs == [] and c.execution_count is None
        for c in student.cells
        if c.cell_type == "code"
    )


def test_sets_nbgrader_checksums_of_the_released_cells():
    student = release(square_exercise())

    for grade_id in ("setup", "square", "test_visible", "test_hidden", "explain", "reflect"):
        released = cell(student, grade_id)
        assert released.metadata.nbgrader.checksum == compute_checksum(released)
        assert released.metadata.nbgrader.cell_type == released.cell_type


def test_locks_cells_in_the_front_end_as_nbgrader_does():
    student = release(square_exercise())

    assert cell(student, "test_visible").metadata.editable is False
    assert cell(student, "test_visible").metadata.deletable is False
    assert cell(student, "square").metadata.deletable is False
    assert "editable" not in cell(student, "square").metadata


def test_upgrades_old_nbgrader_metadata_to_the_current_schema():
    source = notebook(
        code("x = 1", {"nbgrader": {"solution": True, "grade_id": "a", "schema_version": 1}})
    )

    meta = cell(release(source), "a").metadata.nbgrader

    assert meta.schema_version == 3
    assert (meta.solution, meta.grade, meta.locked, meta.task) == (True, False, False, False)


def test_keeps_plain_cells_and_the_kernel():
    source = square_exercise()

    student = release(source)

    assert student.cells[0].source == source.cells[0].source
    assert student.metadata.kernelspec == source.metadata.kernelspec
    assert [c.id for c in student.cells] == [c.id for c in source.cells]


def test_drops_attachments_only_a_removed_solution_showed():
    source = notebook(
        markdown(
            "![graph](attachment:given.png)\n### BEGIN SOLUTION\n![answer](attachment:answer.png)"
            "\n### END SOLUTION",
            {"nbgrader": {"grade": True, "solution": True, "grade_id": "m", "points": 1}},
        )
    )
    png = {"image/png": "iVBORw0KGgo="}
    source.cells[0].attachments = {"given.png": png, "answer.png": png}

    assert set(release(source).cells[0].attachments) == {"given.png"}


def test_refuses_a_broken_source():
    with pytest.raises(NotebookError, match="is graded but has no points"):
        release(notebook(autotest("t", "assert True", points=None)))


def test_released_and_sanitized_notebooks_are_valid_notebooks():
    # Cells are assembled without nbformat's check of each cell: the whole is checked here.
    import nbformat
    from nbformat.v4 import new_raw_cell

    from grading.notebook.sanitize import sanitize, sanitize_student_version

    source = square_exercise()
    source.cells.append(new_raw_cell("raw text", metadata={"format": "text/plain"}))
    submission = answered(release(source), square="def square(x):\n    return x * x")
    for nb in (
        release(source),
        sanitize(source, submission).notebook,
        sanitize_student_version(source, submission).notebook,
    ):
        nbformat.validate(nb)
