import pytest

from grading.notebook.errors import NotebookError
from grading.notebook.metadata import CellKind, nbgrader_metadata, parse_source

from .builders import (
    answer,
    autotest,
    code,
    manual_answer,
    markdown,
    nbgrader,
    notebook,
    read_only,
    square_exercise,
    task,
)


def problems_of(nb) -> tuple[str, ...]:
    with pytest.raises(NotebookError) as caught:
        parse_source(nb)
    return caught.value.problems


@pytest.mark.parametrize(
    "cell, kind",
    [
        (autotest("t", "assert True"), CellKind.TEST),
        (answer("a", "x = 1"), CellKind.ANSWER),
        (manual_answer("m", "text"), CellKind.MANUAL_ANSWER),
        (manual_answer("m", "x = 1", cell_type="code"), CellKind.MANUAL_ANSWER),
        (task("k", "Do it."), CellKind.TASK),
        (read_only("r", "import math"), CellKind.LOCKED),
        (code("x = 1"), CellKind.PLAIN),
        (code("x = 1", nbgrader("p")), CellKind.PLAIN),
    ],
)
def test_reads_the_kind_of_each_cell(cell, kind):
    assert nbgrader_metadata(cell).kind is kind


def test_reads_schema_1_which_has_neither_task_nor_cell_type():
    cell = code("assert True", nbgrader("t", grade=True, locked=True, points=2, schema_version=1))

    meta = nbgrader_metadata(cell)

    assert (meta.kind, meta.points, meta.task, meta.cell_type) == (CellKind.TEST, 2.0, False, "")


def test_reads_schema_2_with_its_recorded_cell_type():
    metadata = nbgrader("a", solution=True, schema_version=2)
    metadata["nbgrader"]["cell_type"] = "code"

    meta = nbgrader_metadata(code("x = 1", metadata))

    assert (meta.kind, meta.cell_type) == (CellKind.ANSWER, "code")


def test_reads_cells_from_before_schema_versions_with_missing_flags_as_false():
    cell = code("assert True", {"nbgrader": {"grade": True, "grade_id": "t", "points": 1}})

    meta = nbgrader_metadata(cell)

    assert (meta.kind, meta.solution, meta.locked, meta.is_locked) == (
        CellKind.TEST,
        False,
        False,
        True,
    )


@pytest.mark.parametrize("garbage", ["yes", ["grade"], 42])
def test_reads_garbage_metadata_in_a_submission_as_a_plain_cell(garbage):
    assert nbgrader_metadata(code("x", {"nbgrader": garbage})).kind is CellKind.PLAIN


def test_an_answer_is_never_locked_and_a_test_always_is():
    unlocked_test = code("assert True", nbgrader("t", grade=True, locked=False, points=1))
    locked_answer = code("x = 1", nbgrader("a", solution=True, locked=True))

    assert nbgrader_metadata(unlocked_test).is_locked
    assert not nbgrader_metadata(locked_answer).is_locked


def test_parses_the_graded_cells_of_a_source_in_order():
    spec = parse_source(square_exercise())

    assert [
        (cell.grade_id, cell.points, cell.kind, cell.cell_type, cell.has_hidden_tests)
        for cell in spec.cells
    ] == [
        ("test_visible", 1.0, CellKind.TEST, "code", False),
        ("test_hidden", 2.0, CellKind.TEST, "code", True),
        ("explain", 2.0, CellKind.MANUAL_ANSWER, "markdown", False),
        ("reflect", 1.0, CellKind.TASK, "markdown", False),
    ]
    assert spec.max_total == 6.0
    assert [cell.grade_id for cell in spec.tests] == ["test_visible", "test_hidden"]


def test_accepts_schema_1_and_2_sources():
    nb = notebook(
        code("x = 1", nbgrader("a", solution=True, schema_version=1)),
        code("assert x", nbgrader("t", grade=True, locked=True, points=3, schema_version=2)),
    )

    assert [(c.grade_id, c.points) for c in parse_source(nb).cells] == [("t", 3.0)]


def test_lists_every_metadata_problem_at_once():
    nb = notebook(
        autotest("same", "assert True"),
        autotest("same", "assert True"),
        code("x = 1", nbgrader("  ", solution=True)),
        autotest("negative", "assert True", points=-1),
        autotest("words", "assert True", points="two"),
        autotest("flag", "assert True", points=True),
        code("assert True", nbgrader("pointless", grade=True, locked=True)),
    )

    assert problems_of(nb) == (
        "Cell 3 has no grade_id.",
        "Cell 4 ('negative'): points must not be negative (-1).",
        "Cell 5 ('words'): points must be a number, not 'two'.",
        "Cell 6 ('flag'): points must be a number, not True.",
        "Cell 7 ('pointless') is graded but has no points.",
        "The grade_id 'same' is used by more than one cell (cells 1, 2).",
    )


def test_refuses_grade_ids_nbgrader_would_refuse():
    assert problems_of(notebook(answer("my answer", "x = 1"))) == (
        "Cell 1 ('my answer'): a grade_id may only contain letters, digits, '_' and '-'.",
    )


def test_refuses_a_newer_nbgrader_schema():
    nb = notebook(code("x = 1", nbgrader("a", solution=True, schema_version=4)))

    assert problems_of(nb) == (
        "Cell 1 ('a') uses nbgrader metadata schema version 4; only versions 1 to 3 are supported.",
    )


def test_refuses_cell_types_nbgrader_refuses():
    nb = notebook(
        markdown("text", nbgrader("graded_only", grade=True, points=1)),
        markdown("text", nbgrader("answer_only", solution=True)),
        code("x = 1", nbgrader("code_task", task=True, points=1)),
    )

    assert problems_of(nb) == (
        "Cell 1 ('graded_only') is a markdown cell marked only as graded; "
        "a markdown answer must be a 'Manually graded answer'.",
        "Cell 2 ('answer_only') is a markdown cell marked only as an answer; "
        "a markdown answer must be a 'Manually graded answer'.",
        "Cell 3 ('code_task') is a task, and tasks must be markdown cells.",
    )


def test_refuses_markers_that_do_not_pair_up():
    nb = notebook(
        answer("open", "### BEGIN SOLUTION\nx = 1"),
        answer("nested", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"),
        autotest("stray", "assert True\n### END HIDDEN TESTS"),
    )

    assert problems_of(nb) == (
        "Cell 1 ('open'): a solution region is never closed.",
        "Cell 2 ('nested'): a solution region starts inside another one.",
        "Cell 3 ('stray'): a hidden tests region ends without having started.",
    )


def test_refuses_markers_in_cells_whose_role_would_lose_them():
    nb = notebook(
        code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
        answer("a", "x = 1\n### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS"),
    )

    assert problems_of(nb) == (
        "Cell 1 has a solution region but is not an answer cell.",
        "Cell 2 ('a') has hidden tests but is not an autograder test cell.",
    )
