"""One test per scoring rule; the kernel's replies are written by hand."""

import copy

import pytest

from grading.notebook.metadata import parse_source
from grading.notebook.release import release
from grading.notebook.sanitize import sanitize, sanitize_student_version
from grading.notebook.score import score
from grading.notebook.types import CellExecution, ExecutionResult

from .builders import (
    HIDDEN_CHECK,
    answered,
    error,
    manual_answer,
    notebook,
    result,
    square_exercise,
    stream,
)

ANSWER = "def square(x):\n    return x * x"


def grade(replies=None, *, source=None, error_reason="", **answers):
    """Score a submission of `source` as if the kernel replied `replies`.

    `replies` maps grade_id -> (status, outputs) or (status, outputs, ename, evalue);
    unlisted code cells replied "ok" without output.
    """
    source = source or square_exercise()
    sanitized = sanitize(source, answered(release(source), **answers))
    return score(parse_source(source), sanitized, executed(sanitized, replies or {}, error_reason))


def executed(sanitized, replies, error_reason=""):
    nb = copy.deepcopy(sanitized.notebook)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        status, outputs, *exception = replies.get(grade_id, ("ok", []))
        cell.outputs = outputs
        cells.append(CellExecution(index, status, *exception))
    return ExecutionResult(notebook=nb, cells=tuple(cells), error=error_reason)


def cell_result(result_, grade_id):
    return next(cell for cell in result_.cells if cell.grade_id == grade_id)


def test_a_test_that_runs_without_error_earns_full_points():
    visible = cell_result(grade(square=ANSWER), "test_visible")

    assert (visible.score, visible.max_score, visible.status, visible.message) == (
        1.0,
        1.0,
        "passed",
        "",
    )


def test_a_test_that_raised_earns_nothing_and_says_why():
    replies = {
        "test_visible": ("error", [error("AssertionError", "expected 4")], "AssertionError", "x")
    }

    visible = cell_result(grade(replies), "test_visible")

    assert (visible.score, visible.status) == (0.0, "failed")
    assert visible.message == "Test 'test_visible' failed: AssertionError: x"


def test_the_kernels_reply_decides_even_when_the_student_hid_the_traceback():
    replies = {"test_visible": ("error", [stream("All tests passed!")], "AssertionError", "")}

    visible = cell_result(grade(replies), "test_visible")

    assert (visible.score, visible.status) == (0.0, "failed")
    assert visible.message == "Test 'test_visible' failed: AssertionError"


def test_a_visible_error_output_fails_the_test_as_in_nbgrader():
    replies = {"test_visible": ("ok", [error("ValueError", "bad value")])}

    visible = cell_result(grade(replies), "test_visible")

    assert (visible.score, visible.message) == (
        0.0,
        "Test 'test_visible' failed: ValueError: bad value",
    )


def test_a_single_number_within_the_points_is_partial_credit():
    hidden = cell_result(grade({"test_hidden": ("ok", [result("0.5")])}), "test_hidden")

    assert (hidden.score, hidden.max_score, hidden.status) == (0.5, 2.0, "passed")
    assert hidden.message == "Partial credit: 0.5 of 2 points."


def test_the_full_points_as_a_number_are_full_credit():
    hidden = cell_result(grade({"test_hidden": ("ok", [result("2")])}), "test_hidden")

    assert hidden.score == 2.0


@pytest.mark.parametrize("text", ["0", "-1", "2.5", "nan", "inf", "'0.5'", "[0.5]", "True"])
def test_any_other_result_is_full_credit(text):
    hidden = cell_result(grade({"test_hidden": ("ok", [result(text)])}), "test_hidden")

    assert (hidden.score, hidden.status) == (2.0, "passed")


def test_a_number_is_partial_credit_only_when_it_is_the_only_output():
    outputs = [stream("checking...\n"), result("0.5")]

    hidden = cell_result(grade({"test_hidden": ("ok", outputs)}), "test_hidden")

    assert hidden.score == 2.0


def test_a_test_that_timed_out_earns_nothing():
    visible = cell_result(grade({"test_visible": ("timeout", [])}), "test_visible")

    assert (visible.score, visible.status) == (0.0, "failed")
    assert visible.message == "Test 'test_visible' did not finish within the time limit."


def test_tests_not_run_after_an_early_stop_earn_nothing_and_say_why():
    replies = {"test_visible": ("not_run", [result("1")]), "test_hidden": ("not_run", [])}

    outcome = grade(replies, error_reason="the kernel died", square=ANSWER)

    assert [(c.score, c.status) for c in outcome.cells[:2]] == [(0.0, "failed"), (0.0, "failed")]
    assert cell_result(outcome, "test_hidden").message == (
        "Test 'test_hidden' did not run because execution stopped early: the kernel died."
    )
    assert outcome.error == "the kernel died"


def test_a_test_the_kernel_aborted_earns_nothing():
    visible = cell_result(grade({"test_visible": ("aborted", [])}), "test_visible")

    assert (visible.score, visible.message) == (
        0.0,
        "Test 'test_visible' did not run because an earlier cell stopped the notebook.",
    )


def test_a_test_the_executor_said_nothing_about_did_not_run():
    source = square_exercise()
    sanitized = sanitize(source, release(source))
    nothing = ExecutionResult(notebook=None, cells=(), error="the kernel did not start")

    outcome = score(parse_source(source), sanitized, nothing)

    assert [c.score for c in outcome.cells[:2]] == [0.0, 0.0]
    assert "the kernel did not start" in outcome.cells[0].message


def test_an_answer_graded_by_hand_left_as_handed_out_earns_nothing():
    explain = cell_result(grade(), "explain")

    assert (explain.score, explain.status, explain.message) == (
        0.0,
        "failed",
        "No answer was given.",
    )


def test_an_answer_graded_by_hand_that_was_written_needs_a_person():
    explain = cell_result(grade(explain="Because minus times minus is plus."), "explain")

    assert (explain.score, explain.max_score, explain.status) == (None, 2.0, "needs_manual")


def test_a_code_answer_graded_by_hand_scores_zero_unchanged_and_needs_a_person_changed():
    source = notebook(
        manual_answer("plot", "### BEGIN SOLUTION\nplot()\n### END SOLUTION", 3, "code")
    )

    unchanged = cell_result(grade(source=source), "plot")
    changed = cell_result(grade(source=source, plot="draw()"), "plot")

    assert (unchanged.score, unchanged.status) == (0.0, "failed")
    assert (changed.score, changed.status) == (None, "needs_manual")


def test_a_code_answer_graded_by_hand_is_not_scored_by_its_output():
    source = notebook(manual_answer("calc", "### BEGIN SOLUTION\n1\n### END SOLUTION", 3, "code"))

    calc = cell_result(
        grade({"calc": ("error", [], "ZeroDivisionError", "")}, source=source, calc="1/0"), "calc"
    )

    assert calc.status == "needs_manual"


def test_a_task_needs_a_person():
    reflect = cell_result(grade(square=ANSWER), "reflect")

    assert (reflect.score, reflect.max_score, reflect.status) == (None, 1.0, "needs_manual")


@pytest.mark.parametrize(
    ("ename", "evalue"),
    [("AssertionError", HIDDEN_CHECK), ("H" + HIDDEN_CHECK[:39].encode().hex(), "")],
)
def test_a_failing_test_with_hidden_tests_says_only_that_it_failed(ename, evalue):
    # The exception was raised while the hidden part ran: its name and text are the kernel's
    # (a student's function can name an exception class after the hidden source).
    replies = {"test_hidden": ("error", [], ename, evalue)}

    hidden = cell_result(grade(replies), "test_hidden")

    assert hidden.message == "Test 'test_hidden' failed."


def explained(replies=None, explaining_replies=None, *, error="", explaining_error=""):
    """Score a right answer's grading run (`replies`), explained by a student run."""
    source = square_exercise()
    submission = answered(release(source), square=ANSWER)
    sanitized = sanitize(source, submission)
    student = sanitize_student_version(source, submission)
    return score(
        parse_source(source),
        sanitized,
        executed(sanitized, replies or {}, error),
        explained_by=executed(student, explaining_replies or {}, explaining_error),
    )


def test_a_message_quotes_the_student_run_where_it_failed_the_same_way():
    outcome = explained(
        {"test_visible": ("error", [], "Exception", f"In = ['{HIDDEN_CHECK}']")},
        {"test_visible": ("error", [], "Exception", "In = ['assert square(2) == 4']")},
    )

    visible = cell_result(outcome, "test_visible")
    assert (visible.score, visible.status) == (0.0, "failed")  # the grading run's verdict
    assert (
        visible.message == "Test 'test_visible' failed: Exception: In = ['assert square(2) == 4']"
    )


def test_a_message_says_only_how_a_test_failed_where_the_student_run_did_not_fail():
    outcome = explained(
        {
            "test_visible": ("error", [], "Exception", HIDDEN_CHECK),
            "test_hidden": ("timeout", []),
        },
        {"test_visible": ("ok", []), "test_hidden": ("error", [], "ValueError", "x")},
    )

    assert [c.message for c in outcome.cells[:2]] == [
        "Test 'test_visible' failed.",
        "Test 'test_hidden' did not finish within the time limit.",
    ]


def test_a_test_with_hidden_tests_quotes_the_student_run_where_it_failed_the_same_way():
    outcome = explained(
        {"test_hidden": ("error", [], "AssertionError", HIDDEN_CHECK)},
        {"test_hidden": ("error", [], "NameError", "name 'square' is not defined")},
    )

    hidden = cell_result(outcome, "test_hidden")
    assert hidden.message == ("Test 'test_hidden' failed: NameError: name 'square' is not defined")


def test_why_execution_stopped_is_told_in_the_student_runs_words_or_not_at_all():
    stopped = {"test_hidden": ("not_run", [])}

    alone = explained(stopped, error="exit status 173")
    both = explained(stopped, stopped, error="exit status 173", explaining_error="killed")

    assert (alone.error, cell_result(alone, "test_hidden").message) == (
        "Execution stopped early.",
        "Test 'test_hidden' did not run because execution stopped early.",
    )
    assert (both.error, cell_result(both, "test_hidden").message) == (
        "killed",
        "Test 'test_hidden' did not run because execution stopped early: killed.",
    )
    assert explained().error == ""


def test_a_long_exception_message_is_shortened():
    replies = {"test_visible": ("error", [], "ValueError", "x" * 10_000)}

    visible = cell_result(grade(replies), "test_visible")

    assert len(visible.message) < 350
    assert visible.message.endswith("x…")


def test_totals_count_the_sources_graded_cells_only():
    source = square_exercise()
    submission = answered(release(source), square=ANSWER)
    submission.cells.append(copy.deepcopy(submission.cells[3]))  # a second test_visible
    sanitized = sanitize(source, submission)

    outcome = score(parse_source(source), sanitized, executed(sanitized, {}))

    assert (outcome.total, outcome.max_total) == (3.0, 6.0)
    assert [c.grade_id for c in outcome.cells] == [
        "test_visible",
        "test_hidden",
        "explain",
        "reflect",
    ]


def test_totals_do_not_show_float_noise():
    outcome = grade(
        {"test_visible": ("ok", [result("0.1")]), "test_hidden": ("ok", [result("0.2")])}
    )

    assert outcome.total == 0.3


def test_the_stored_result_has_exactly_the_agreed_shape():
    outcome = grade({"test_visible": ("timeout", [])}, square=ANSWER)

    stored = outcome.to_dict()

    assert list(stored) == ["total", "max_total", "cells"]
    assert stored["cells"][0] == {
        "grade_id": "test_visible",
        "score": 0.0,
        "max_score": 1.0,
        "status": "failed",
        "message": "Test 'test_visible' did not finish within the time limit.",
    }
    assert stored["total"] == 2.0


def test_repairs_and_early_stops_are_reported_apart_from_the_score():
    source = square_exercise()
    submission = release(source)
    submission.cells.pop(3)
    sanitized = sanitize(source, submission)

    outcome = score(parse_source(source), sanitized, executed(sanitized, {}, "the kernel died"))

    assert outcome.diagnostics_to_dict() == {
        "notes": ["Cell 'test_visible' was missing; it was put back as handed out."],
        "error": "the kernel died",
        "first_failure": "",
    }
