"""Score each graded cell of the source, by nbgrader's rules (``utils.determine_grade``).

- an answer graded by hand that the student left as handed out (same checksum): 0;
- other hand-graded cells (tasks, markdown answers, changed code answers): no score
  until a person grades them;
- a test cell that failed: 0. Failure is what the kernel replied for that cell
  (error, timeout, not run, aborted), not only a visible error output, because student
  code can print anything and can swallow tracebacks; a visible error output also fails
  the test, as in nbgrader;
- a test cell whose only output is a single number in (0, points]: that partial credit;
- any other test cell: full points.

Messages name the test and say how it failed. What they quote of a kernel never comes
from the run that had the hidden tests in it when a student will read them (`score`).
"""

from __future__ import annotations

import math

from .checksum import is_unchanged
from .i18n import gettext as _
from .metadata import CellKind, GradeCell, SourceSpec
from .results import CellResult, NotebookResult
from .sanitize import SanitizedNotebook
from .types import ExecutionResult

MAX_DETAIL_CHARS = 300  # an exception message is student-controlled and can be huge

# How a test cell failed, as the grader sees it from the kernel's replies.
ERROR, TIMEOUT, STOPPED, SKIPPED = "error", "timeout", "stopped", "skipped"


def score(
    spec: SourceSpec,
    sanitized: SanitizedNotebook,
    execution: ExecutionResult,
    *,
    explained_by: ExecutionResult | None = None,
) -> NotebookResult:
    """Score the executed notebook against the source's grading plan.

    Scores and statuses come from `execution`, the run with the hidden tests. Whatever a
    message quotes of a kernel (an exception, why execution stopped) comes from
    `explained_by`: a run of the same cells, in the same places, in which no hidden-test
    source ever was (the pipeline runs the student version for it). It is quoted only for
    a cell that failed the same way in both runs; otherwise the message is the grader's own
    sentence, naming the test. Without `explained_by`, `execution` explains itself, except
    for the exceptions of cells with hidden tests: right for a source without hidden tests,
    and for a teacher checking their own source (`validate_source`), never for students'
    feedback on a source with hidden tests.
    """
    cells = tuple(_score_cell(cell, sanitized, execution, explained_by) for cell in spec.cells)
    # Points are typed in by teachers with a few decimals; rounding hides float noise.
    total = round(math.fsum(cell.score for cell in cells if cell.score is not None), 6)
    return NotebookResult(
        total=total,
        max_total=spec.max_total,
        cells=cells,
        notes=sanitized.notes,
        error=_stopped_early(execution, explained_by),
    )


def _stopped_early(execution: ExecutionResult, explained_by: ExecutionResult | None) -> str:
    """Why execution stopped early, in the words of the run that explains it."""
    if explained_by is None or not execution.error:
        return execution.error
    return explained_by.error or _("Execution stopped early.")


def _score_cell(
    graded: GradeCell,
    sanitized: SanitizedNotebook,
    execution: ExecutionResult,
    explained_by: ExecutionResult | None,
) -> CellResult:
    index = sanitized.index_of(graded.grade_id)
    if graded.kind is CellKind.MANUAL_ANSWER and is_unchanged(sanitized.notebook.cells[index]):
        return _failed(graded, _("No answer was given."))
    if graded.kind is not CellKind.TEST or graded.cell_type != "code":
        return CellResult(
            graded.grade_id, None, graded.points, "needs_manual", _("Your teacher will grade this.")
        )
    failure = _failure(execution, index)
    if failure:
        return _failed(graded, _failure_message(graded, failure, index, execution, explained_by))
    partial = _partial_credit(_outputs(execution, index), graded.points)
    if partial is not None:
        return CellResult(
            graded.grade_id,
            partial,
            graded.points,
            "passed",
            _("Partial credit: %(score)g of %(points)g points.")
            % {"score": partial, "points": graded.points},
        )
    return CellResult(graded.grade_id, graded.points, graded.points, "passed")


def _failed(graded: GradeCell, message: str) -> CellResult:
    return CellResult(graded.grade_id, 0.0, graded.points, "failed", message)


def _outputs(execution: ExecutionResult, index: int) -> list:
    """The outputs of the executed cell; none if execution never produced a notebook."""
    cells = getattr(execution.notebook, "cells", None) or []
    return cells[index].get("outputs", []) if index < len(cells) else []


def _error_output(execution: ExecutionResult, index: int):
    return next((o for o in _outputs(execution, index) if o.output_type == "error"), None)


def _failure(execution: ExecutionResult, index: int) -> str:
    """How the test at `index` failed (ERROR, TIMEOUT, STOPPED, SKIPPED); "" if it did not."""
    reply = execution.cell(index)
    status = reply.status if reply else "not_run"
    if status == "ok":
        return ERROR if _error_output(execution, index) is not None else ""
    if status in (ERROR, TIMEOUT):
        return status
    return STOPPED if execution.error else SKIPPED


def _failure_message(
    graded: GradeCell,
    failure: str,
    index: int,
    execution: ExecutionResult,
    explained_by: ExecutionResult | None,
) -> str:
    """Why the test failed, for the student."""
    if explained_by is None:
        if graded.has_hidden_tests and failure == ERROR:
            return _plain_failure(graded, failure)  # its exception could quote the hidden part
        return _explained_failure(graded, failure, index, execution)
    if _failure(explained_by, index) == failure:
        return _explained_failure(graded, failure, index, explained_by)
    return _plain_failure(graded, failure)


def _plain_failure(graded: GradeCell, failure: str) -> str:
    """The grader's own sentence: the test's name and how it failed, nothing a kernel said."""
    test = {"test": graded.grade_id}
    if failure == ERROR:
        return _("Test '%(test)s' failed.") % test
    if failure == TIMEOUT:
        return _("Test '%(test)s' did not finish within the time limit.") % test
    if failure == STOPPED:
        return _("Test '%(test)s' did not run because execution stopped early.") % test
    return _("Test '%(test)s' did not run because an earlier cell stopped the notebook.") % test


def _explained_failure(
    graded: GradeCell, failure: str, index: int, execution: ExecutionResult
) -> str:
    """The failure as `execution` shows it: its exception, or why it stopped."""
    if failure == STOPPED:
        return _("Test '%(test)s' did not run because execution stopped early: %(reason)s.") % {
            "test": graded.grade_id,
            "reason": execution.error,
        }
    if failure != ERROR:
        return _plain_failure(graded, failure)
    reply = execution.cell(index)
    if reply is not None and reply.status == ERROR:
        ename, evalue = reply.ename, reply.evalue
    else:
        output = _error_output(execution, index)
        ename, evalue = output.get("ename", ""), output.get("evalue", "")
    # The exception's own text is the student's (or teacher's) and is shown as it is.
    detail = f"{ename}: {evalue}" if evalue else ename
    if not detail:
        return _plain_failure(graded, failure)
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[: MAX_DETAIL_CHARS - 1] + "…"
    return _("Test '%(test)s' failed: %(detail)s") % {"test": graded.grade_id, "detail": detail}


def _partial_credit(outputs: list, points: float) -> float | None:
    """The test's own score, when its only output is one number in (0, points]."""
    if len(outputs) != 1 or outputs[0].get("output_type") != "execute_result":
        return None
    text = outputs[0].get("data", {}).get("text/plain", "")
    if isinstance(text, list):
        text = "".join(text)
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= points else None
