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
"""

from __future__ import annotations

import math
import re

from .checksum import is_unchanged
from .i18n import gettext as _
from .metadata import CellKind, GradeCell, SourceSpec
from .redact import Redactor
from .results import CellResult, NotebookResult
from .sanitize import SanitizedNotebook
from .types import ExecutionResult

MAX_DETAIL_CHARS = 300  # an exception message is student-controlled and can be huge
_EXCEPTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,79}$")


def score(
    spec: SourceSpec, sanitized: SanitizedNotebook, execution: ExecutionResult
) -> NotebookResult:
    """Score the executed notebook against the source's grading plan."""
    redactor = Redactor.for_sources(
        sanitized.notebook.cells[sanitized.index_of(cell.grade_id)].source
        for cell in spec.cells
        if cell.has_hidden_tests
    )
    cells = tuple(_score_cell(cell, sanitized, execution, redactor) for cell in spec.cells)
    # Points are typed in by teachers with a few decimals; rounding hides float noise.
    total = round(math.fsum(cell.score for cell in cells if cell.score is not None), 6)
    return NotebookResult(
        total=total,
        max_total=spec.max_total,
        cells=cells,
        notes=sanitized.notes,
        error=execution.error,
    )


def _score_cell(
    graded: GradeCell,
    sanitized: SanitizedNotebook,
    execution: ExecutionResult,
    redactor: Redactor,
) -> CellResult:
    index = sanitized.index_of(graded.grade_id)
    if graded.kind is CellKind.MANUAL_ANSWER and is_unchanged(sanitized.notebook.cells[index]):
        return _failed(graded, _("No answer was given."))
    if graded.kind is not CellKind.TEST or graded.cell_type != "code":
        return CellResult(
            graded.grade_id, None, graded.points, "needs_manual", _("Your teacher will grade this.")
        )
    failure = _failure(graded, execution, index, redactor)
    if failure:
        return _failed(graded, failure)
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


def _failure(graded: GradeCell, execution: ExecutionResult, index: int, redactor: Redactor) -> str:
    """Why the test failed, for the student; "" if it did not."""
    reply = execution.cell(index)
    status = reply.status if reply else "not_run"
    if status == "ok":
        error = next((o for o in _outputs(execution, index) if o.output_type == "error"), None)
        if error is None:
            return ""
        return _error_message(graded, error.get("ename", ""), error.get("evalue", ""), redactor)
    if status == "error":
        return _error_message(graded, reply.ename, reply.evalue, redactor)
    if status == "timeout":
        return _("Test '%(test)s' did not finish within the time limit.") % {
            "test": graded.grade_id
        }
    if execution.error:
        return _("Test '%(test)s' did not run because execution stopped early: %(reason)s.") % {
            "test": graded.grade_id,
            "reason": execution.error,
        }
    return _("Test '%(test)s' did not run because an earlier cell stopped the notebook.") % {
        "test": graded.grade_id
    }


def _error_message(graded: GradeCell, ename: str, evalue: str, redactor: Redactor) -> str:
    """``Test 'id' failed: ename: evalue``, minus anything that could reveal hidden tests.

    The exception comes from code the student controls, so for a cell with hidden tests
    even its message could quote them (``raise Exception(In[-1])``): such a cell
    reports only the name of the exception.
    """
    test = graded.grade_id
    if graded.has_hidden_tests:
        if _EXCEPTION_NAME.match(ename):
            return _("Test '%(test)s' failed with %(exception)s.") % {
                "test": test,
                "exception": ename,
            }
        return _("Test '%(test)s' failed.") % {"test": test}
    # The exception's own text is the student's (or teacher's) and is shown as it is.
    detail = redactor.text(f"{ename}: {evalue}" if evalue else ename)
    if not detail:
        return _("Test '%(test)s' failed.") % {"test": test}
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[: MAX_DETAIL_CHARS - 1] + "…"
    return _("Test '%(test)s' failed: %(detail)s") % {"test": test, "detail": detail}


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
