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

Root causes: a failing set-up cell (a module the runtime lacks, a missing data file, a
MemoryError, a killed kernel, a syntax error) makes every test after it fail with a
NameError that says nothing of why. The first cell other than a test that failed is
therefore named in the result (`NotebookResult.first_failure`), and a test that failed
with a NameError or AttributeError after it points at it. Student code that does not
compile is said as such, with its cell and line.

Why a test failed: its exception (an assertion's own message) and where, from the
traceback of the run that explains the result: the test's line, and the line of the
student's own code it was raised in, if any (`tracebacks`). A test may have a hint its
teacher wrote; it follows the message when the test fails, the only words about a hidden
test's failure besides its name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from . import tracebacks
from .checksum import is_unchanged
from .i18n import gettext as _
from .i18n import ngettext, plural_count
from .metadata import CellKind, GradeCell, SourceSpec, nbgrader_metadata
from .results import CellResult, FirstFailure, NotebookResult
from .sanitize import SanitizedNotebook
from .types import CellExecution, ExecutionResult

MAX_DETAIL_CHARS = 300  # an exception message is student-controlled and can be huge

MAX_NAME_CHARS = 40  # a cell without grade_id is named by the first line of its source

MAX_HINT_CHARS = 500  # a teacher's hint for a test

# How a test cell failed, as the grader sees it from the kernel's replies.
ERROR, TIMEOUT, STOPPED, SKIPPED = "error", "timeout", "stopped", "skipped"

#: What a test raises when an earlier cell that should have defined a name failed.
CONSEQUENTIAL_ERRORS = frozenset({"NameError", "UnboundLocalError", "AttributeError"})
#: Exceptions whose class name says nothing a student needs: the grader's own reasons.
GRADER_ERRORS = frozenset({"DeadKernelError", "IncompleteExecutionError"})


def score(
    spec: SourceSpec,
    sanitized: SanitizedNotebook,
    execution: ExecutionResult,
    *,
    explained_by: ExecutionResult | None = None,
    hints: Mapping[str, str] | None = None,
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

    `hints` (grade_id -> text) are the teacher's hints for tests: a failed test's message
    ends with its hint.
    """
    first = first_failure(spec, sanitized, explained_by if explained_by is not None else execution)
    cells = tuple(
        _score_cell(cell, sanitized, execution, explained_by, first, _hint(hints, cell))
        for cell in spec.cells
    )
    # Points are typed in by teachers with a few decimals; rounding hides float noise.
    total = round(math.fsum(cell.score for cell in cells if cell.score is not None), 6)
    return NotebookResult(
        total=total,
        max_total=spec.max_total,
        cells=cells,
        notes=sanitized.notes,
        error=_stopped_early(execution, explained_by),
        first_failure=first,
    )


def first_failure(
    spec: SourceSpec, sanitized: SanitizedNotebook, run: ExecutionResult
) -> FirstFailure | None:
    """The first code cell of `run`, tests aside, that raised, timed out or was running
    when the kernel died; None if every one of them ran.

    Tests are left out: a failing test is reported as itself. `run` must be one whose
    exceptions may be quoted to whoever reads the result (see `score`).
    """
    tests = {sanitized.index_of(cell.grade_id) for cell in spec.tests}
    names = {index: grade_id for grade_id, index in sanitized.positions.items()}
    for reply in sorted(run.cells, key=lambda reply: reply.index):
        if reply.index in tests or reply.status not in (ERROR, TIMEOUT):
            continue
        ename = "" if reply.status == TIMEOUT or reply.ename in GRADER_ERRORS else reply.ename
        message, line = "", None
        if ename in tracebacks.SYNTAX_ERRORS:
            message, line = tracebacks.syntax_error_line(reply.evalue)
            message = _shorten(message)
            if line is None:
                frames = tracebacks.cell_frames(run.notebook, _error_output(run, reply.index))
                line = next((f.line for f in frames if f.index == reply.index), None)
        return FirstFailure(
            index=reply.index,
            name=names.get(reply.index) or _first_line(run, reply.index),
            ename=ename,
            detail=_shorten(_reply_detail(reply)),
            grade_id=names.get(reply.index, ""),
            own_code=_is_own_code(run, reply.index),
            line=line,
            message=message,
        )
    return None


def _is_own_code(run: ExecutionResult, index: int) -> bool:
    """Whether cell `index` holds the student's code: a code cell they may edit (an
    answer, a cell they added), not one the teacher locked."""
    cells = getattr(run.notebook, "cells", None) or []
    if not 0 <= index < len(cells) or cells[index].get("cell_type") != "code":
        return False
    return not nbgrader_metadata(cells[index]).is_locked


def _hint(hints: Mapping[str, str] | None, graded: GradeCell) -> str:
    """The teacher's hint for a test, if any: one line of text, shortened."""
    if graded.kind is not CellKind.TEST or not isinstance(hints, Mapping):
        return ""
    hint = hints.get(graded.grade_id)
    if not isinstance(hint, str):
        return ""
    return tracebacks.shorten(" ".join(hint.split()), MAX_HINT_CHARS)


def with_hint(message: str, hint: str) -> str:
    """A failed test's message, then its teacher's hint."""
    if not hint:
        return message
    message = message.rstrip()
    if not message.endswith((".", "!", "?", "…")):
        message += "."
    return f"{message} " + _("Hint: %(hint)s") % {"hint": hint}


def _first_line(run: ExecutionResult, index: int) -> str:
    cells = getattr(run.notebook, "cells", None) or []
    source = cells[index].get("source", "") if index < len(cells) else ""
    source = "".join(source) if isinstance(source, list) else str(source)
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= MAX_NAME_CHARS else line[: MAX_NAME_CHARS - 1] + "…"


def _reply_detail(reply: CellExecution) -> str:
    """What a failed cell's reply says: its exception, or the grader's reason alone."""
    if reply.status == TIMEOUT or reply.ename in GRADER_ERRORS:
        return reply.evalue or reply.ename
    return f"{reply.ename}: {reply.evalue}" if reply.evalue else reply.ename


def _shorten(detail: str) -> str:
    """An exception message is student-controlled and can be huge."""
    return detail if len(detail) <= MAX_DETAIL_CHARS else detail[: MAX_DETAIL_CHARS - 1] + "…"


def with_cause(message: str, cause: FirstFailure) -> str:
    """A message, then the sentence naming the cell that failed first."""
    return f"{message.rstrip().rstrip('.')}. {cause.sentence()}"


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
    first: FirstFailure | None,
    hint: str = "",
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
        message = _failure_message(graded, failure, index, execution, explained_by)
        if _caused_by(first, graded, failure, index, execution, explained_by):
            message = with_cause(message, first)
        return _failed(graded, with_hint(message, hint))
    partial = _partial_credit(_outputs(execution, index), graded.points)
    if partial is not None:
        return CellResult(
            graded.grade_id,
            partial,
            graded.points,
            "passed",
            ngettext(
                "Partial credit: %(score)g of %(points)g point.",
                "Partial credit: %(score)g of %(points)g points.",
                plural_count(graded.points),
            )
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


def _caused_by(
    first: FirstFailure | None,
    graded: GradeCell,
    failure: str,
    index: int,
    execution: ExecutionResult,
    explained_by: ExecutionResult | None,
) -> bool:
    """Whether the test's failure looks like the consequence of `first`, an earlier
    cell's: the test raised a NameError or AttributeError, or did not run because the
    notebook stopped after an exception in `first` (when the kernel died in `first`, the
    reason for the stop already says so).

    Judged on the run whose exceptions the message quotes, and only when the message
    quotes it (`_failure_message`): a plain message says no more than it did.
    """
    if first is None or first.index >= index:
        return False
    explaining = explained_by if explained_by is not None else execution
    if explained_by is None and graded.has_hidden_tests and failure == ERROR:
        return False
    if explained_by is not None and _failure(explained_by, index) != failure:
        return False
    if failure in (STOPPED, SKIPPED):
        return bool(first.ename)
    if failure != ERROR:
        return False
    reply = explaining.cell(index)
    if reply is not None and reply.status == ERROR:
        return reply.ename in CONSEQUENTIAL_ERRORS
    output = _error_output(explaining, index)
    return output is not None and output.get("ename") in CONSEQUENTIAL_ERRORS


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
    detail = _shorten(f"{ename}: {evalue}" if evalue else ename)
    if not detail:
        return _plain_failure(graded, failure)
    where = _where(execution, index)
    if where:
        detail = f"{detail} ({where})"
    return _("Test '%(test)s' failed: %(detail)s") % {"test": graded.grade_id, "detail": detail}


def _where(execution: ExecutionResult, index: int) -> str:
    """Where the test at `index` failed, from its traceback in `execution`: the test's
    line, and the line of the student's own code the exception was raised in, if it was
    ("line 3: assert f(2) == 4; in your cell 'f', line 2: return x / 0"); "" if the
    traceback does not say (not an IPython kernel, or no traceback)."""
    output = _error_output(execution, index)
    frames = tracebacks.cell_frames(execution.notebook, output) if output is not None else []
    in_test = [position for position, frame in enumerate(frames) if frame.index == index]
    if not in_test:
        return ""
    test = frames[in_test[-1]]
    parts = [_line_of(test)]
    own = [
        frame
        for frame in frames[in_test[-1] + 1 :]
        if frame.index != index and _is_own_code(execution, frame.index)
    ]
    if own:
        parts.append(_own_line(execution, own[-1]))
    return "; ".join(parts)


def _line_of(frame: tracebacks.Frame) -> str:
    values = {"line": frame.line, "code": frame.code}
    return (_("line %(line)d: %(code)s") if frame.code else _("line %(line)d")) % values


def _own_line(execution: ExecutionResult, frame: tracebacks.Frame) -> str:
    """ "in your cell 'square', line 3: return y / 0" (a cell without grade_id by number)."""
    cell = execution.notebook.cells[frame.index]
    values = {
        "cell": nbgrader_metadata(cell).grade_id,
        "number": frame.index + 1,
        "line": frame.line,
        "code": frame.code,
    }
    if values["cell"]:
        if frame.code:
            return _("in your cell '%(cell)s', line %(line)d: %(code)s") % values
        return _("in your cell '%(cell)s', line %(line)d") % values
    if frame.code:
        return _("in your cell %(number)d, line %(line)d: %(code)s") % values
    return _("in your cell %(number)d, line %(line)d") % values


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
