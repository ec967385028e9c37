"""The whole pipeline through the real sandbox: the executor a grader gets here (a cold
sandboxed kernel; the warm pool's path is in test_pool.py)."""

import pytest

from grading.notebook.pipeline import grade_notebook, validate_source
from grading.notebook.release import release
from grading.notebook.types import SandboxLimits
from grading.sandbox.executor import sandboxed_executor
from tests.grading.notebook.builders import answered, square_exercise

RIGHT = "def square(x):\n    return x * x"
WRONG_FOR_NEGATIVES = "def square(x):\n    return x * abs(x)"  # passes every visible test
FAST = SandboxLimits(cell_timeout_s=5, notebook_timeout_s=60)


def scores(outcome) -> dict[str, float | None]:
    return {cell.grade_id: cell.score for cell in outcome.cells}


def submission(**answers):
    return answered(release(square_exercise()), **answers)


@pytest.mark.sandbox
def test_sandbox_grades_a_right_answer_fully():
    outcome = grade_notebook(
        square_exercise(), submission(square=RIGHT), limits=FAST, executor=sandboxed_executor()
    )

    assert scores(outcome)["test_visible"] == 1.0
    assert scores(outcome)["test_hidden"] == 2.0
    assert outcome.error == ""


@pytest.mark.sandbox
def test_sandbox_runs_the_hidden_tests():
    outcome = grade_notebook(
        square_exercise(),
        submission(square=WRONG_FOR_NEGATIVES),
        limits=FAST,
        executor=sandboxed_executor(),
    )

    assert scores(outcome)["test_visible"] == 1.0
    assert scores(outcome)["test_hidden"] == 0.0
    assert outcome.cells[1].message == "Test 'test_hidden' failed."  # nothing the kernel said


@pytest.mark.sandbox
def test_sandbox_a_test_that_swallows_its_own_failure_still_fails():
    cheat = (
        "import sys\n"
        "get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)\n"
        "def square(x):\n    return 0"
    )

    outcome = grade_notebook(
        square_exercise(), submission(square=cheat), limits=FAST, executor=sandboxed_executor()
    )

    assert scores(outcome)["test_visible"] == 0.0
    assert scores(outcome)["test_hidden"] == 0.0


@pytest.mark.sandbox
def test_sandbox_an_endless_answer_fails_its_tests_within_the_limits():
    endless = "def square(x):\n    while True:\n        pass"
    limits = SandboxLimits(cell_timeout_s=2, notebook_timeout_s=30)

    outcome = grade_notebook(
        square_exercise(), submission(square=endless), limits=limits, executor=sandboxed_executor()
    )

    assert scores(outcome)["test_visible"] == 0.0
    assert scores(outcome)["test_hidden"] == 0.0
    assert outcome.cells[0].status == "failed"


@pytest.mark.sandbox
def test_sandbox_a_kernel_killed_by_the_student_scores_the_rest_zero():
    suicide = "import os\nos._exit(0)"

    outcome = grade_notebook(
        square_exercise(), submission(square=suicide), limits=FAST, executor=sandboxed_executor()
    )

    assert (outcome.total, outcome.error != "") == (0.0, True)
    assert "execution stopped early" in outcome.cells[0].message


@pytest.mark.sandbox
def test_sandbox_validates_the_exercise():
    validation = validate_source(square_exercise(), limits=FAST, executor=sandboxed_executor())

    assert validation.ok, validation.problems
