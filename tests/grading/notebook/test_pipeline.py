import copy
import dataclasses

import nbformat
import pytest

from grading.notebook.errors import NotebookError
from grading.notebook.pipeline import grade_notebook, grade_with_feedback, validate_source
from grading.notebook.release import release
from grading.notebook.types import CellExecution
from tests.grading.leaks import leaked_forms

from .builders import (
    HIDDEN_CHECK,
    answer,
    answered,
    autotest,
    cell,
    code,
    markdown,
    notebook,
    position,
    result,
    square_exercise,
    stream,
    text_of,
)
from .fakes import FakeKernel

RIGHT = "def square(x):\n    return x * x"
WRONG_FOR_NEGATIVES = "def square(x):\n    return x * abs(x)"  # passes every visible test
WRONG = "def square(x):\n    return x + x + 1"


def scores(outcome) -> dict[str, float | None]:
    return {cell.grade_id: cell.score for cell in outcome.cells}


def grade(submission, source=None, kernel=None):
    return grade_notebook(source or square_exercise(), submission, executor=kernel or FakeKernel())


def submission(**answers):
    return answered(release(square_exercise()), **answers)


def test_a_right_answer_passes_every_test():
    outcome = grade(submission(square=RIGHT))

    assert scores(outcome) == {
        "test_visible": 1.0,
        "test_hidden": 2.0,
        "explain": 0.0,
        "reflect": None,
    }
    assert (outcome.total, outcome.max_total) == (3.0, 6.0)


def test_the_hidden_tests_are_what_catches_a_wrong_answer():
    outcome = grade(submission(square=WRONG_FOR_NEGATIVES))

    assert scores(outcome)["test_visible"] == 1.0
    assert scores(outcome)["test_hidden"] == 0.0


def test_the_kernel_gets_the_repaired_notebook_not_the_submission():
    kernel = FakeKernel()
    tampered = submission(square=RIGHT)
    cell(tampered, "test_visible").outputs = [result("1")]
    cell(tampered, "test_hidden").source = "pass"

    grade(tampered, kernel=kernel)

    student_run, grading_run = kernel.received
    assert HIDDEN_CHECK in cell(grading_run, "test_hidden").source
    released = cell(release(square_exercise()), "test_hidden").source
    assert cell(student_run, "test_hidden").source == released
    for executed in kernel.received:
        assert all(c.get("outputs", []) == [] for c in executed.cells)


def test_an_edited_test_cannot_make_a_wrong_answer_pass():
    tampered = submission(square=WRONG_FOR_NEGATIVES)
    cell(tampered, "test_hidden").source = "pass"

    outcome = grade(tampered)

    assert scores(outcome)["test_hidden"] == 0.0
    assert "Cell 'test_hidden' had been changed; the original was restored." in outcome.notes


def test_a_deleted_test_still_runs_and_counts():
    tampered = submission(square=WRONG_FOR_NEGATIVES)
    tampered.cells.remove(cell(tampered, "test_hidden"))

    outcome = grade(tampered)

    assert scores(outcome)["test_hidden"] == 0.0
    assert outcome.max_total == 6.0


def test_raised_points_do_not_raise_the_score():
    tampered = submission(square=RIGHT)
    cell(tampered, "test_visible").metadata.nbgrader.points = 100

    outcome = grade(tampered)

    assert (scores(outcome)["test_visible"], outcome.max_total) == (1.0, 6.0)


def test_a_duplicated_passing_test_counts_once():
    tampered = submission(square=RIGHT)
    tampered.cells.append(copy.deepcopy(cell(tampered, "test_hidden")))

    outcome = grade(tampered)

    assert [c.grade_id for c in outcome.cells].count("test_hidden") == 1
    assert outcome.total == 3.0


def test_a_test_retyped_as_markdown_still_runs():
    tampered = submission(square=WRONG_FOR_NEGATIVES)
    index = position(tampered, "test_hidden")
    tampered.cells[index] = markdown("skip me", dict(tampered.cells[index].metadata))

    outcome = grade(tampered)

    assert scores(outcome)["test_hidden"] == 0.0


def test_an_answer_moved_to_a_new_cell_still_works():
    moved = submission()
    index = position(moved, "square")
    moved.cells[index] = code(RIGHT)

    outcome = grade(moved)

    assert scores(outcome)["test_visible"] == 1.0
    assert "Cell 'square' was missing; it was put back as handed out." in outcome.notes


def test_added_cells_run_but_a_forged_graded_cell_earns_nothing():
    tampered = submission(square=RIGHT)
    bonus = autotest("bonus", "assert True", points=50)
    tampered.cells.append(bonus)

    outcome = grade(tampered)

    assert "bonus" not in scores(outcome)
    assert (outcome.total, outcome.max_total) == (3.0, 6.0)


def test_tests_after_a_dead_kernel_score_zero_with_the_reason():
    source = square_exercise()
    kernel = FakeKernel(stop_before=position(source, "test_hidden"))

    outcome = grade(submission(square=RIGHT), kernel=kernel)

    assert scores(outcome)["test_visible"] == 1.0
    assert scores(outcome)["test_hidden"] == 0.0
    assert outcome.error == "the kernel died"
    assert outcome.cells[1].message.endswith("execution stopped early: the kernel died.")


def test_a_broken_source_is_refused_before_anything_runs():
    kernel = FakeKernel()
    broken = notebook(autotest("t", "assert True", points=-1))

    with pytest.raises(NotebookError, match="points must not be negative"):
        grade_notebook(broken, broken, executor=kernel)
    assert kernel.received == []


def test_the_student_run_comes_first_and_never_holds_hidden_test_source():
    kernel = FakeKernel()

    grade_with_feedback(square_exercise(), submission(square=RIGHT), executor=kernel)

    student_run, grading_run = kernel.received
    assert leaked_forms(nbformat.writes(student_run)) == []
    assert HIDDEN_CHECK in nbformat.writes(grading_run)


def test_a_source_without_hidden_tests_runs_once_as_the_student_version():
    source = notebook(answer("square", RIGHT), autotest("check", "assert square(2) == 4"))
    kernel = FakeKernel()

    outcome = grade(answered(release(source), square=RIGHT), source=source, kernel=kernel)

    assert len(kernel.received) == 1
    assert scores(outcome) == {"check": 1.0}


class TwoRuns:
    """The fake kernel, with what the run that holds the hidden tests says made visible:
    every code cell of it prints and fails with text of its own, and it stops early."""

    def __init__(self, *, student_run_stops: bool = False) -> None:
        self.kernel = FakeKernel()
        self.student_run_stops = student_run_stops

    def __call__(self, nb, *, limits, allow_unsandboxed=False, env=None):
        execution = self.kernel(nb, limits=limits, allow_unsandboxed=allow_unsandboxed)
        if HIDDEN_CHECK not in nbformat.writes(nb):
            if self.student_run_stops:
                return dataclasses.replace(execution, error="the student run's own reason")
            return execution
        replies = []
        for reply in execution.cells:
            executed = execution.notebook.cells[reply.index]
            executed.outputs.append(stream("printed by the grading run"))
            replies.append(CellExecution(reply.index, "error", "Leak", "raised in the grading run"))
        return dataclasses.replace(
            execution, cells=tuple(replies), error="exit status 173, chosen-by-the-student"
        )


@pytest.mark.parametrize("student_run_stops", [False, True])
def test_of_the_grading_run_the_student_receives_scores_and_nothing_it_said(student_run_stops):
    graded = grade_with_feedback(
        square_exercise(),
        submission(square=RIGHT),
        executor=TwoRuns(student_run_stops=student_run_stops),
    )

    assert scores(graded.result)["test_visible"] == 0.0  # the grading run failed it
    assert scores(graded.result)["test_hidden"] == 0.0
    received = "\n".join(
        [graded.feedback_html, graded.result.error] + [cell.message for cell in graded.result.cells]
    )
    for said in ("grading run", "Leak", "chosen-by-the-student"):
        assert said not in received
    assert {cell.grade_id: cell.message for cell in graded.result.cells[:2]} == {
        "test_visible": "Test 'test_visible' failed.",
        "test_hidden": "Test 'test_hidden' failed.",
    }
    if student_run_stops:  # it stopped too: its own reason is the student's to read
        assert graded.result.error == "the student run's own reason"
    else:
        assert graded.result.error == "Execution stopped early."


def test_a_test_failing_the_same_way_in_both_runs_shows_the_student_runs_exception():
    graded = grade_with_feedback(square_exercise(), submission(square=WRONG), executor=FakeKernel())

    assert scores(graded.result)["test_hidden"] == 0.0
    # The visible part fails in the student run too: its exception, no hidden line, is shown.
    assert graded.result.cells[1].message == "Test 'test_hidden' failed: AssertionError"
    assert "Test 'test_hidden' failed: AssertionError" in text_of(graded.feedback_html)


def test_a_test_failing_only_with_its_hidden_part_says_only_that_it_failed():
    graded = grade_with_feedback(
        square_exercise(), submission(square=WRONG_FOR_NEGATIVES), executor=FakeKernel()
    )

    assert scores(graded.result)["test_hidden"] == 0.0
    assert graded.result.cells[1].message == "Test 'test_hidden' failed."
    assert "Test 'test_hidden' failed." in text_of(graded.feedback_html)
    assert leaked_forms(graded.feedback_html) == []


def test_a_sound_exercise_validates():
    validation = validate_source(square_exercise(), executor=FakeKernel())

    assert validation.ok
    assert validation.problems == ()
    assert scores(validation.solution_result)["test_hidden"] == 2.0
    assert scores(validation.student_result)["test_hidden"] == 0.0


def test_validation_lists_metadata_problems_without_running_anything():
    kernel = FakeKernel()
    source = notebook(answer("a", "x = 1"), autotest("a", "assert x == 1"))

    validation = validate_source(source, executor=kernel)

    assert not validation.ok
    assert validation.problems == ("The grade_id 'a' is used by more than one cell (cells 1, 2).",)
    assert kernel.received == []


def test_validation_refuses_a_solution_that_fails_its_own_test():
    source = square_exercise()
    cell(source, "test_visible").source = "assert square(2) == 5"

    validation = validate_source(source, executor=FakeKernel())

    assert validation.problems == (
        "With the solution, cell 'test_visible' scores 0 of 1. "
        "Test 'test_visible' failed: AssertionError",
    )


def test_validation_refuses_a_test_that_passes_without_an_answer():
    source = square_exercise()
    cell(source, "test_visible").source = "assert True"

    validation = validate_source(source, executor=FakeKernel())

    assert validation.problems == (
        "Test 'test_visible' gives 1 of 1 point to the student version before any answer "
        "is written; it should fail until then.",
    )


def test_validation_refuses_a_student_version_that_does_not_run_to_the_end():
    source = square_exercise()
    kernel = FakeKernel(stop_before=position(source, "test_hidden"), stop_reason="out of memory")

    validation = validate_source(source, executor=kernel)

    assert "The student version does not run to the end: out of memory." in validation.problems
    assert "With the solution, execution stopped early: out of memory." in validation.problems


def test_validation_refuses_a_notebook_with_nothing_to_grade():
    validation = validate_source(notebook(code("print('hi')")), executor=FakeKernel())

    assert validation.problems == ("The notebook has no graded cells.",)
