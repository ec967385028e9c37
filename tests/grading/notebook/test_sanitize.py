import copy

from grading.notebook.release import release
from grading.notebook.sanitize import sanitize

from .builders import (
    HIDDEN_CHECK,
    HIDDEN_TEST,
    answered,
    cell,
    code,
    error,
    markdown,
    nbgrader,
    position,
    result,
    square_exercise,
    stream,
)

ANSWER = "def square(x):\n    return x ** 2"


def submit(**answers):
    """The released exercise, answered, plus the source to grade it against."""
    source = square_exercise()
    return source, answered(release(source), **answers)


def grade_ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def test_an_honest_submission_keeps_its_answers_and_gets_the_hidden_tests_back():
    source, submission = submit(square=ANSWER, explain="Minus times minus is plus.")

    sanitized = sanitize(source, submission)

    assert cell(sanitized.notebook, "square").source == ANSWER
    assert cell(sanitized.notebook, "explain").source == "Minus times minus is plus."
    assert cell(sanitized.notebook, "test_hidden").source == cell(source, "test_hidden").source
    assert HIDDEN_CHECK in cell(sanitized.notebook, "test_hidden").source
    assert sanitized.notes == ()


def test_knows_where_every_source_cell_is():
    source, submission = submit(square=ANSWER)

    sanitized = sanitize(source, submission)

    for grade_id in ("setup", "square", "test_visible", "test_hidden", "explain", "reflect"):
        assert sanitized.index_of(grade_id) == position(sanitized.notebook, grade_id)


def test_an_edited_test_cell_gets_its_original_source_back():
    source, submission = submit(square=ANSWER)
    cell(submission, "test_visible").source = "assert True"

    sanitized = sanitize(source, submission)

    assert cell(sanitized.notebook, "test_visible").source == "assert square(2) == 4"
    assert sanitized.notes == ("Cell 'test_visible' had been changed; the original was restored.",)


def test_an_edited_read_only_cell_gets_its_original_source_back():
    source, submission = submit(square=ANSWER)
    cell(submission, "setup").source = "square = lambda x: x * x"

    sanitized = sanitize(source, submission)

    assert cell(sanitized.notebook, "setup").source == "import math"


def test_a_deleted_test_cell_is_put_back_after_the_cell_before_it():
    source, submission = submit(square=ANSWER)
    submission.cells.remove(cell(submission, "test_hidden"))

    sanitized = sanitize(source, submission)

    assert grade_ids(sanitized.notebook)[2:6] == [
        "square",
        "test_visible",
        "test_hidden",
        "explain",
    ]
    assert cell(sanitized.notebook, "test_hidden").source == HIDDEN_TEST
    assert sanitized.notes == ("Cell 'test_hidden' was missing; it was put back as handed out.",)


def test_a_deleted_answer_is_put_back_as_handed_out():
    source, submission = submit(square=ANSWER, explain="An answer, then deleted.")
    submission.cells.remove(cell(submission, "square"))
    submission.cells.remove(cell(submission, "explain"))

    sanitized = sanitize(source, submission)

    assert cell(sanitized.notebook, "square").source == (
        "def square(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert cell(sanitized.notebook, "explain").source.endswith("YOUR ANSWER HERE")
    assert grade_ids(sanitized.notebook)[1:7] == [
        "setup",
        "square",
        "test_visible",
        "test_hidden",
        "explain",
        "reflect",
    ]


def test_cells_deleted_from_the_top_go_before_the_first_remaining_source_cell():
    source, submission = submit(square=ANSWER)
    submission.cells[:3] = [code("import numpy")]

    sanitized = sanitize(source, submission)

    assert grade_ids(sanitized.notebook) == [
        None,
        "setup",
        "square",
        "test_visible",
        "test_hidden",
        "explain",
        "reflect",
    ]
    assert sanitized.notebook.cells[0].source == "import numpy"


def test_a_notebook_with_none_of_the_exercise_gets_all_of_it_after_the_students_cells():
    source = square_exercise()
    submission = copy.deepcopy(source)
    submission.cells = [code(ANSWER)]

    sanitized = sanitize(source, submission)

    assert sanitized.notebook.cells[0].source == ANSWER
    assert grade_ids(sanitized.notebook)[1:] == [
        "setup",
        "square",
        "test_visible",
        "test_hidden",
        "explain",
        "reflect",
    ]


def test_changed_points_are_reset_to_the_exercise_points():
    source, submission = submit(square=ANSWER)
    cell(submission, "test_visible").metadata.nbgrader.points = 100

    sanitized = sanitize(source, submission)

    assert cell(sanitized.notebook, "test_visible").metadata.nbgrader.points == 1
    assert sanitized.notes == (
        "The grading settings of cell 'test_visible' had been changed; "
        "the exercise's settings were used.",
    )


def test_a_test_turned_into_an_answer_is_a_test_again():
    source, submission = submit(square=ANSWER)
    meta = cell(submission, "test_visible").metadata.nbgrader
    meta.update(solution=True, grade=False)
    cell(submission, "test_visible").source = "pass"

    sanitized = sanitize(source, submission)

    restored = cell(sanitized.notebook, "test_visible")
    assert (restored.metadata.nbgrader.grade, restored.metadata.nbgrader.solution) == (True, False)
    assert restored.source == "assert square(2) == 4"


def test_a_duplicated_grade_id_counts_once_the_first_copy_wins():
    source, submission = submit(square=ANSWER)
    copied = copy.deepcopy(cell(submission, "square"))
    copied.source = "def square(x):\n    return 0"
    submission.cells.insert(position(submission, "test_hidden"), copied)

    sanitized = sanitize(source, submission)

    assert grade_ids(sanitized.notebook).count("square") == 1
    assert cell(sanitized.notebook, "square").source == ANSWER
    second = sanitized.notebook.cells[position(sanitized.notebook, "test_hidden") - 1]
    assert second.source == "def square(x):\n    return 0"
    assert "nbgrader" not in second.metadata
    assert sanitized.notes == ("Cell 'square' appears more than once; only the first copy counts.",)


def test_a_test_cell_retyped_as_markdown_is_code_again():
    source, submission = submit(square=ANSWER)
    index = position(submission, "test_visible")
    retyped = markdown("assert square(2) == 4", dict(submission.cells[index].metadata))
    submission.cells[index] = retyped

    sanitized = sanitize(source, submission)

    restored = cell(sanitized.notebook, "test_visible")
    assert restored.cell_type == "code"
    assert restored.outputs == []
    assert sanitized.notes == (
        "Cell 'test_visible' had been changed from code to markdown; it was changed back.",
    )


def test_an_answer_retyped_as_markdown_is_code_again_with_the_students_text():
    source, submission = submit()
    index = position(submission, "square")
    submission.cells[index] = markdown(ANSWER, dict(submission.cells[index].metadata))

    sanitized = sanitize(source, submission)

    restored = cell(sanitized.notebook, "square")
    assert (restored.cell_type, restored.source) == ("code", ANSWER)


def test_fake_outputs_in_the_submission_are_cleared():
    source, submission = submit(square=ANSWER)
    cell(submission, "test_visible").outputs = [result("1")]
    cell(submission, "test_hidden").outputs = [stream("All tests passed!")]
    cell(submission, "square").outputs = [error("NameError", "fake")]
    cell(submission, "square").execution_count = 3

    sanitized = sanitize(source, submission)

    code_cells = [c for c in sanitized.notebook.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code_cells)


def test_cells_the_student_added_run_but_can_never_pose_as_graded_cells():
    source, submission = submit(square=ANSWER)
    forged = code("print('bonus')", nbgrader("bonus", grade=True, locked=True, points=100))
    submission.cells.append(forged)

    sanitized = sanitize(source, submission)

    added = sanitized.notebook.cells[-1]
    assert added.source == "print('bonus')"
    assert "nbgrader" not in added.metadata
    assert "bonus" not in sanitized.positions


def test_the_kernel_of_the_exercise_is_used():
    source, submission = submit(square=ANSWER)
    submission.metadata.kernelspec = {"name": "evil", "display_name": "Evil", "language": "sh"}

    sanitized = sanitize(source, submission)

    assert sanitized.notebook.metadata.kernelspec == source.metadata.kernelspec
    assert sanitized.notes == (
        "The notebook's kernel had been changed; the exercise's kernel was used.",
    )


def test_cell_ids_stay_unique_when_a_cell_is_copied():
    source, submission = submit(square=ANSWER)
    submission.cells.append(copy.deepcopy(cell(submission, "test_visible")))

    sanitized = sanitize(source, submission)

    ids = [c.id for c in sanitized.notebook.cells]
    assert len(ids) == len(set(ids))
