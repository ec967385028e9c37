"""Root causes: when a set-up cell fails, the result and validation name that cell and its
error first, not only the NameError every later test then raises.

Run with the fake kernel (fakes.py); the sandbox's own tests run it end to end
(tests/grading/sandbox/test_output_budget.py has the data-science ones).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from grading.notebook.pipeline import grade_notebook, grade_with_feedback, validate_source
from grading.notebook.release import release
from grading.notebook.types import CellExecution, ExecutionEnv, SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.execute import execute_notebook
from tests.grading.leaks import leaked_forms

from .builders import (
    answer,
    answered,
    autotest,
    code,
    markdown,
    notebook,
    read_only,
    square_exercise,
    text_of,
)
from .fakes import FakeKernel

MISSING = "no_such_module_for_grading_tests"
SANDBOX = SandboxLimits(cell_timeout_s=20, notebook_timeout_s=60)
MEAN = "def mean(xs):\n    ### BEGIN SOLUTION\n    return stats.fmean(xs)\n    ### END SOLUTION"


def exercise(setup: str, *, name: str = "imports", uses: str = "stats") -> object:
    """A source whose answer and tests depend on what its set-up cell (cell 2) defines."""
    return notebook(
        markdown("# Means"),
        read_only(name, setup),
        answer("mean", MEAN.replace("stats", uses)),
        autotest("test_mean", "assert mean([1, 2, 3]) == 2", points=1),
        autotest("test_one", "assert mean([4]) == 4", points=1),
    )


def graded(source, executor=None, **answers):
    submission = answered(release(source), **answers)
    return grade_notebook(source, submission, executor=executor or FakeKernel())


def message(result, grade_id: str) -> str:
    return next(cell.message for cell in result.cells if cell.grade_id == grade_id)


# --- what the student reads ----------------------------------------------------------------


def test_a_missing_module_is_named_with_its_cell_before_the_name_error_it_causes():
    source = exercise(f"import {MISSING} as stats")

    result = graded(source, mean="def mean(xs):\n    return stats.fmean(xs)")

    cause = f"Cell 2 (imports) failed first: ModuleNotFoundError: No module named '{MISSING}'"
    assert result.first_failure.sentence() == cause
    assert message(result, "test_mean") == (
        f"Test 'test_mean' failed: NameError: name 'stats' is not defined. {cause}"
    )
    assert message(result, "test_one").endswith(cause)
    assert result.diagnostics_to_dict()["first_failure"] == cause


def test_a_syntax_error_in_the_answer_is_named_in_the_tests_that_call_it():
    result = graded(square_exercise(), square="def square(x) return x * x")

    assert message(result, "test_visible") == (
        "Test 'test_visible' failed: NameError: name 'square' is not defined. "
        "Your code in cell 'square' has a syntax error on line 1: expected ':'"
    )


def test_a_memory_error_in_set_up_is_named():
    source = exercise("import statistics as stats\nbig = [0] * (2**62)", name="load")

    result = graded(source, mean="def mean(xs):\n    return sum(big) / len(xs)")

    assert message(result, "test_mean").endswith(
        "NameError: name 'big' is not defined. Cell 2 (load) failed first: MemoryError"
    )


def test_a_cell_without_grade_id_is_named_by_its_first_line():
    source = exercise("import statistics as stats")
    submission = answered(release(source), mean="def mean(xs):\n    return helper(xs)")
    submission.cells.insert(
        2, code("\n# my helper\nfrom no_such_module_for_grading_tests import helper  # noqa\n")
    )

    result = grade_notebook(source, submission, executor=FakeKernel())

    assert message(result, "test_mean").endswith(
        f"Cell 3 (# my helper) failed first: ModuleNotFoundError: No module named '{MISSING}'"
    )


def test_a_test_failing_for_its_own_reason_gets_no_pointer():
    source = exercise(f"import {MISSING} as stats")
    source.cells[3].source = "assert 1 + 1 == 3, 'arithmetic'"

    result = graded(source, mean="def mean(xs):\n    return 2")

    assert message(result, "test_mean") == "Test 'test_mean' failed: AssertionError: arithmetic"
    assert result.first_failure.name == "imports"  # still named for the feedback page


def test_a_failure_after_the_test_is_not_its_cause():
    source = exercise("import statistics as stats")
    submission = answered(release(source), mean="def mean(xs):\n    return missing_name")
    submission.cells.append(code(f"import {MISSING}"))

    result = grade_notebook(source, submission, executor=FakeKernel())

    assert message(result, "test_mean") == (
        "Test 'test_mean' failed: NameError: name 'missing_name' is not defined"
    )
    assert result.first_failure.number == 6


def test_failing_tests_alone_name_no_first_failure():
    result = graded(square_exercise(), square="def square(x):\n    return x + x + 1")

    assert result.first_failure is None
    assert result.diagnostics_to_dict()["first_failure"] == ""


class DyingKernel(FakeKernel):
    """The fake kernel, killed by the memory guard while running cell `dies_at`."""

    def __init__(self, dies_at: int):
        super().__init__(stop_before=dies_at)
        self.dies_at = dies_at

    def __call__(self, nb, **kwargs):
        result = super().__call__(nb, **kwargs)
        reason = "The kernel was stopped: memory limit of 512 MB exceeded"
        died = CellExecution(self.dies_at, "error", "DeadKernelError", reason)
        cells = tuple(died if c.index == self.dies_at else c for c in result.cells)
        # counted from 1, as grading.sandbox.execute says it
        error = f"{reason} while running cell {self.dies_at + 1}"
        return replace(result, cells=cells, error=error)


def test_a_kernel_killed_in_set_up_is_named_and_the_tests_say_why_they_did_not_run():
    source = exercise("import statistics as stats", name="load")

    result = graded(source, DyingKernel(dies_at=1), mean=MEAN)

    assert result.first_failure.sentence() == (
        "Cell 2 (load) failed first: The kernel was stopped: memory limit of 512 MB exceeded"
    )
    assert message(result, "test_mean") == (
        "Test 'test_mean' did not run because execution stopped early: The kernel was "
        "stopped: memory limit of 512 MB exceeded while running cell 2."
    )


def test_tests_stopped_by_a_dead_kernel_point_at_an_earlier_exception():
    source = exercise(f"import {MISSING} as stats")

    result = graded(source, DyingKernel(dies_at=2), mean=MEAN)

    assert message(result, "test_mean").endswith(
        f"while running cell 3. Cell 2 (imports) failed first: ModuleNotFoundError: "
        f"No module named '{MISSING}'"
    )


# --- what the teacher reads when validating ------------------------------------------------


def test_validation_names_a_module_the_runtime_lacks_first():
    validation = validate_source(exercise(f"import {MISSING} as stats"), executor=FakeKernel())

    assert not validation.ok
    assert validation.problems[0] == (
        f"With the solution, cell 2 (imports) failed first: ModuleNotFoundError: No module "
        f"named '{MISSING}'. The exercise's runtime does not have this module: choose a "
        "runtime that has it."
    )
    assert "NameError: name 'stats' is not defined" in validation.problems[1]
    assert not [p for p in validation.problems if "student version" in p]  # said once


def test_validation_names_a_missing_data_file_first():
    setup = "rows = open('no-such-measurements.csv').read()\nimport statistics as stats"

    validation = validate_source(exercise(setup, name="load"), executor=FakeKernel())

    assert validation.problems[0].startswith(
        "With the solution, cell 2 (load) failed first: FileNotFoundError: [Errno 2] No such "
        "file or directory: 'no-such-measurements.csv'. Add the file to the exercise's data "
        "files"
    )


def test_validation_names_a_killed_kernel_with_its_cell():
    validation = validate_source(
        exercise("import statistics as stats", name="load"), executor=DyingKernel(dies_at=1)
    )

    assert validation.problems[0] == (
        "With the solution, cell 2 (load) failed first: The kernel was stopped: memory "
        "limit of 512 MB exceeded."
    )


def test_a_source_whose_unused_import_fails_is_not_refused_for_it():
    source = exercise(f"import statistics as stats\nimport {MISSING}")

    validation = validate_source(source, executor=FakeKernel())

    # `stats` was bound before the import failed: the solution earns full marks.
    assert validation.ok, validation.problems


def test_a_student_version_that_does_not_compile_is_refused_with_its_cell():
    source = exercise("import statistics as stats")
    # The stub replaces the solution inside an indented block of its own: the student
    # version of this answer does not compile.
    source.cells[2].source = (
        "def mean(xs):\n    if xs:\n    ### BEGIN SOLUTION\n        return stats.fmean(xs)\n"
        "    ### END SOLUTION\n    return 0"
    )

    validation = validate_source(source, executor=FakeKernel())

    student = [p for p in validation.problems if "student version as handed out" in p]
    assert student and student[0].startswith(
        "In the student version as handed out, cell 3 (mean) failed first: IndentationError"
    )


# --- the feedback page ---------------------------------------------------------------------


def test_the_feedback_page_says_first_which_cell_failed():
    source = exercise(f"import {MISSING} as stats")
    submission = answered(release(source), mean="def mean(xs):\n    return stats.fmean(xs)")

    html = grade_with_feedback(source, submission, executor=FakeKernel()).feedback_html

    banner = html.split('data-testid="first-failure"', 1)[1].split(">", 1)[1].split("</p>")[0]
    assert text_of(banner) == (
        f"Cell 2 (imports) failed first: ModuleNotFoundError: No module named '{MISSING}'"
    )
    assert html.index('data-testid="first-failure"') < html.index("Means</h1>")


def test_the_feedback_page_has_no_banner_when_every_test_passed():
    source = exercise("import statistics as stats")
    submission = answered(release(source), mean="def mean(xs):\n    return stats.fmean(xs)")
    submission.cells.append(code("1 / 0"))  # a scratch cell failing after the tests

    html = grade_with_feedback(source, submission, executor=FakeKernel()).feedback_html

    assert 'data-testid="first-failure"' not in html


LEAKY_HISTORY = "raise Exception(str(In))"


@pytest.mark.parametrize("render", [False, True], ids=["result", "feedback"])
def test_the_first_failure_is_quoted_from_the_run_without_hidden_tests(render):
    source = square_exercise()
    submission = answered(
        release(source), square="def square(x):\n    assert x != -7\n    return x * x"
    )
    submission.cells.insert(5, code(LEAKY_HISTORY))  # right after the hidden test's cell

    outcome = grade_with_feedback(source, submission, executor=FakeKernel())

    sentence = outcome.result.first_failure.sentence()
    assert sentence.startswith(f"Cell 6 ({LEAKY_HISTORY}) failed first: Exception: [")
    assert "assert square(3) == 9" in sentence  # the student run's history, quoted
    assert leaked_forms(sentence) == []
    if render:
        assert "Cell 6 (" in text_of(outcome.feedback_html)
        assert leaked_forms(outcome.feedback_html) == []


# --- end to end, in the real sandbox -------------------------------------------------------


def runtime(name: str) -> ExecutionEnv:
    try:
        runtimes.get(name)
    except runtimes.UnknownRuntime as exc:
        pytest.skip(f"runtime {name} is not built here: {exc}")
    return ExecutionEnv(runtime=name)


@pytest.mark.sandbox
def test_validation_in_the_sandbox_names_a_module_the_runtime_lacks():
    source = exercise("import sklearn\nimport statistics as stats")

    validation = validate_source(
        source, executor=execute_notebook, env=runtime("python-minimal"), limits=SANDBOX
    )

    assert validation.problems[0].startswith(
        "With the solution, cell 2 (imports) failed first: ModuleNotFoundError: No module "
        "named 'sklearn'. The exercise's runtime does not have this module"
    )


@pytest.mark.sandbox
def test_a_set_up_cell_over_the_memory_limit_is_named_in_the_students_result():
    source = exercise("import statistics as stats\nblob = b'x' * (600 * 2**20)", name="load")
    submission = answered(release(source), mean="def mean(xs):\n    return stats.fmean(xs)")

    result = grade_notebook(
        source,
        submission,
        executor=execute_notebook,
        env=runtime("python-minimal"),
        limits=replace(SANDBOX, memory_mb=256),
    )

    first = result.first_failure
    assert (first.number, first.name) == (2, "load")
    assert "memory" in first.detail.lower() or first.ename == "MemoryError", first.detail
    assert all(cell.status == "failed" for cell in result.cells)
