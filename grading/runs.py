"""A student's "Run" and "Check": their answers executed in the sandbox, not a submission.

A run executes the *student version* (grading.notebook.sanitize.sanitize_student_version):
the exercise's released notebook with the student's answers, the locked cells as the
teacher wrote them and the tests as released, so no line of a hidden test is ever in it.
It is stateless: every run starts a fresh kernel from the top and goes up to and including
the cell `upto` (a "Run" of that cell; every cell without it, "Run all"). A "Check" runs
every cell and reports the visible tests. Runs go through a Celery queue of their own
("runs", lms/celery.py) to the warm kernels of grading/sandbox/pool.py, with short limits
(GRADING_RUN_CELL_TIMEOUT per cell, GRADING_RUN_TIMEOUT in all), and a student has at
most GRADING_RUNS_MAX_PENDING of them queued or running. Stop (`run_stop`) ends a run at
once: it is marked failed at the request, and the worker, which looks every 100 ms,
cancels the kernel's future, which kills the kernel.

A run is not a submission: it uses no attempt, has no score and is in no gradebook
(nothing here writes Submission, ExerciseSummary, evidence or progress). Runs are for
practice, so the attempt limit and the deadline of an exercise do not apply to them.

What is stored per executed code cell (ExerciseRun.outputs) and answered by the API
(grading/runs_api.py): ``{"index", "grade_id", "status", "outputs": [...]}``, the outputs
converted by `convert_outputs` (a pure function) into a small JSON the page can show
without trusting the kernel: plain text, ANSI-free tracebacks, images as base64 (an SVG
must be shown as an image, never inlined), HTML only as a table (pandas), cleaned. A
visible test cell of a check also keeps its `message` (the assertion's message, or the
error), which `run_tests` reports.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import copy
import dataclasses
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from html import unescape
from typing import Any

import bleach
import nbformat
from bleach.html5lib_shim import Filter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from nbformat import NotebookNode

from grading.notebook.metadata import CellKind, nbgrader_metadata
from grading.notebook.sanitize import sanitize_student_version
from grading.notebook.types import CellExecution, ExecutionEnv, ExecutionResult, SandboxLimits
from grading.sandbox.bubblewrap import SandboxUnavailable
from grading.sandbox.executor import sandboxed_executor
from grading.sandbox.pool import current_pool
from grading.sandbox.runtimes import UnknownRuntime

from . import queue, services
from .models import Exercise, ExerciseRun

log = logging.getLogger("grading.runs")

RUN_TASK = "grading.tasks.execute_run_task"
#: How often the worker looks whether the student pressed Stop while a run executes.
STOP_POLL_S = 0.1
#: Beyond the run's own time limit, for a kernel to start and the results to come back.
START_MARGIN_S = 20.0
#: A run queued or running this long after the run's limit was lost (its worker died, the
#: broker dropped it): it no longer counts against the student's pending runs.
LOST_AFTER_S = 120.0

PENDING = (ExerciseRun.Status.QUEUED, ExerciseRun.Status.RUNNING)
CELL_STATUSES = ("ok", "error", "timeout", "not_run")


class RunRefused(Exception):
    """A run that cannot be accepted; the message is for the student. `too_many`: the
    student has as many runs pending as allowed (the API answers 429)."""

    def __init__(self, message: str, *, too_many: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_many = too_many


class _Stopped(Exception):
    """The student pressed Stop while the run executed."""


# ---------------------------------------------------------------------------------------
# Creating and stopping runs (the API calls these)
# ---------------------------------------------------------------------------------------


def run_limits(exercise: Exercise) -> SandboxLimits:
    """The exercise's sandbox limits with the short wall-clock limits of a run. Memory,
    CPU and the like stay the exercise's, so a run takes the same warm kernels as grading."""
    limits = exercise.sandbox_limits
    return dataclasses.replace(
        limits,
        cell_timeout_s=min(limits.cell_timeout_s, settings.GRADING_RUN_CELL_TIMEOUT),
        notebook_timeout_s=min(limits.notebook_timeout_s, settings.GRADING_RUN_TIMEOUT),
    )


@transaction.atomic
def run_create(
    *, exercise: Exercise, student, answers: dict[str, str], upto: str = "", kind: str = "run"
) -> ExerciseRun:
    """Store a run of `answers` (grade_id -> source) and queue it once the transaction
    commits. `upto`: the grade_id of the last cell to run ("" for all); a check runs all.

    Raises RunRefused (exercise not open, answers for cells it does not have or not text,
    answers too large, no such cell `upto`, too many runs pending); nothing is stored then.
    Who may run an exercise (enrolled, or its teachers) is the caller's check (the API's).
    """
    if kind not in ExerciseRun.Kind.values:
        raise RunRefused(_("Unknown kind of run: %(kind)s.") % {"kind": kind})
    if not exercise.is_ready:
        raise RunRefused(_("This exercise is not open yet, so it cannot be run."))
    try:
        nb = services.notebook_from_answers(exercise=exercise, answers=answers)
    except services.SubmissionRefused as exc:
        raise RunRefused(exc.message) from exc
    size = sum(len(source.encode("utf-8", "surrogatepass")) for source in answers.values())
    if size > settings.GRADING_ANSWER_MAX_BYTES:
        raise RunRefused(
            _("The answers are too large to run: %(size)s MB, where %(limit)s MB is the most.")
            % {"size": _megabytes(size), "limit": _megabytes(settings.GRADING_ANSWER_MAX_BYTES)}
        )
    if kind == ExerciseRun.Kind.CHECK:
        upto = ""
    if upto and _position(nb, upto) is None:
        raise RunRefused(_("This exercise has no cell “%(cell)s” to run.") % {"cell": upto})
    # One student's runs are created one at a time (their row is the lock), so two quick
    # clicks cannot both pass the limit below.
    get_user_model().objects.select_for_update().filter(pk=student.pk).first()
    _forget_lost_runs(student)
    pending = ExerciseRun.objects.filter(student=student, status__in=PENDING).count()
    if pending >= settings.GRADING_RUNS_MAX_PENDING:
        raise RunRefused(
            ngettext(
                "You already have %(count)d run waiting or running. Wait for it to "
                "finish (or stop it), then run again.",
                "You already have %(count)d runs waiting or running. Wait for one to "
                "finish (or stop it), then run again.",
                pending,
            )
            % {"count": pending},
            too_many=True,
        )
    run = ExerciseRun.objects.create(
        exercise=exercise, student=student, kind=kind, answers=dict(answers), upto=upto
    )
    transaction.on_commit(lambda: _send(run.pk))
    return run


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.2f}".rstrip("0").removesuffix(".")


def _forget_lost_runs(student) -> None:
    """Runs pending far longer than any run takes were lost (a worker died, the broker
    dropped the message): failed, so they no longer block the student."""
    lost_before = timezone.now() - timezone.timedelta(
        seconds=settings.GRADING_RUN_TIMEOUT + START_MARGIN_S + LOST_AFTER_S
    )
    ExerciseRun.objects.filter(
        student=student, status__in=PENDING, created_at__lt=lost_before
    ).update(
        status=ExerciseRun.Status.FAILED,
        error=_("This run was lost on the server. Please run again."),
        finished_at=timezone.now(),
    )


def _send(run_id: int) -> None:
    """Hand the run to the broker; a broker that is down fails the run with a message
    (runs are short-lived: the student runs again rather than waiting for a re-send)."""
    try:
        queue._send(RUN_TASK, run_id)
    except Exception:  # kombu's OperationalError, a refused socket, a full disk...
        log.exception("the broker did not take run %s", run_id)
        ExerciseRun.objects.filter(pk=run_id, status=ExerciseRun.Status.QUEUED).update(
            status=ExerciseRun.Status.FAILED,
            error=_("Runs are not available right now. Please try again in a minute."),
            finished_at=timezone.now(),
        )


def run_stop(*, run: ExerciseRun) -> ExerciseRun:
    """End a queued or running run at once (failed, "Stopped"); a finished one is left as
    it is. The worker sees `stop_requested` within 100 ms and kills the kernel."""
    ExerciseRun.objects.filter(pk=run.pk, status__in=PENDING).update(
        status=ExerciseRun.Status.FAILED,
        error=_("Stopped"),
        stop_requested=True,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


def run_elapsed(run: ExerciseRun, *, now=None) -> float:
    """Seconds from the student's request to the end of the run (or until now)."""
    end = run.finished_at or now or timezone.now()
    return round(max(0.0, (end - run.created_at).total_seconds()), 3)


def run_cells(run: ExerciseRun) -> list[dict[str, Any]]:
    """The executed cells, as stored: index, grade_id (None for a cell without), status,
    outputs (see `convert_outputs`)."""
    return [
        {
            "index": cell["index"],
            "grade_id": cell.get("grade_id") or None,
            "status": cell["status"],
            "outputs": cell.get("outputs", []),
        }
        for cell in run.outputs or []
    ]


def run_tests(run: ExerciseRun) -> list[dict[str, Any]]:
    """For a check: each visible test that was in the run, whether it passed and why not."""
    if run.kind != ExerciseRun.Kind.CHECK:
        return []
    return [
        {
            "grade_id": cell["grade_id"],
            "passed": cell["status"] == "ok",
            "message": cell.get("message", ""),
        }
        for cell in run.outputs or []
        if cell.get("test")
    ]


# ---------------------------------------------------------------------------------------
# Executing a run (execute_run_task, on a worker of the "runs" queue)
# ---------------------------------------------------------------------------------------


def run_execute(*, run_id: int) -> ExerciseRun | None:
    """Execute a queued run and store its outputs; None when it is no longer queued
    (stopped before it started, lost and forgotten, or a second delivery)."""
    now = timezone.now()
    claimed = ExerciseRun.objects.filter(pk=run_id, status=ExerciseRun.Status.QUEUED).update(
        status=ExerciseRun.Status.RUNNING, started_at=now
    )
    if not claimed:
        return None
    run = ExerciseRun.objects.select_related("exercise", "student").get(pk=run_id)
    # Messages of the sandbox and of this module are stored as text: in the student's
    # language, as the grading of their submissions is.
    with translation.override(services._language_of(run.student)):
        try:
            cells, error = _execute(run)
        except _Stopped:
            log.info("run %s stopped by the student", run_id)
            run.refresh_from_db()
            return run
        except RunRefused as exc:
            return _finish(run, status=ExerciseRun.Status.FAILED, error=exc.message)
        except SandboxUnavailable:
            log.error("run %s not executed: bubblewrap is not available", run_id)
            return _finish(
                run, status=ExerciseRun.Status.FAILED, error=services._unsandboxed_message()
            )
        except UnknownRuntime as exc:
            log.error("run %s not executed: %s", run_id, exc)
            message = _(
                "This exercise runs in the runtime “%(name)s”, which the server does not "
                "have. Please tell your teacher."
            ) % {"name": exc.name}
            return _finish(run, status=ExerciseRun.Status.FAILED, error=message)
        except Exception:
            log.exception("run %s could not be executed", run_id)
            message = _("The run could not be started. Please try again in a moment.")
            return _finish(run, status=ExerciseRun.Status.FAILED, error=message)
    return _finish(run, status=ExerciseRun.Status.DONE, error=error, cells=cells)


def _finish(
    run: ExerciseRun, *, status: str, error: str, cells: list[dict] | None = None
) -> ExerciseRun:
    """Store the outcome unless the run ended meanwhile (the student stopped it)."""
    ExerciseRun.objects.filter(pk=run.pk, status=ExerciseRun.Status.RUNNING).update(
        status=status, error=error, outputs=cells or [], finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def _execute(run: ExerciseRun) -> tuple[list[dict], str]:
    """The run's notebook in a fresh kernel: (cells as stored, why it stopped early)."""
    exercise = run.exercise
    try:
        answered = services.notebook_from_answers(exercise=exercise, answers=run.answers)
    except services.SubmissionRefused as exc:  # the exercise changed since the request
        raise RunRefused(exc.message) from exc
    student = sanitize_student_version(nbformat.from_dict(exercise.source_notebook), answered)
    nb = student.notebook
    if run.upto:
        last = _position(nb, run.upto)
        if last is None:  # the exercise changed since the request
            raise RunRefused(_("This exercise has no cell “%(cell)s” to run.") % {"cell": run.upto})
        nb = copy.copy(nb)
        nb.cells = nb.cells[: last + 1]
    limits = run_limits(exercise)
    future = _submit(nb, limits=limits, env=services.exercise_execution_env(exercise))
    result = _wait(future, run, limits)
    return cells_of(result, stop_at_first_error=run.kind == ExerciseRun.Kind.RUN), result.error


def _position(nb: NotebookNode, grade_id: str) -> int | None:
    for index, cell in enumerate(nb.cells):
        if nbgrader_metadata(cell).grade_id == grade_id:
            return index
    return None


#: Where a run goes when its process has no warm pool (a laptop, a pool that failed to
#: start): a cold sandboxed kernel in a thread. Such a run cannot be killed by Stop; it
#: is abandoned and ends at its own time limit.
_cold_runs = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="cold-run")


def _submit(
    nb: NotebookNode, *, limits: SandboxLimits, env: ExecutionEnv
) -> concurrent.futures.Future[ExecutionResult]:
    pool = current_pool()
    if pool is not None:
        return pool.submit(nb, limits=limits, env=env)  # cancel() kills the kernel
    executor = sandboxed_executor()
    language = translation.get_language()

    def execute() -> ExecutionResult:
        with translation.override(language):
            return executor(
                nb, limits=limits, allow_unsandboxed=settings.GRADING_ALLOW_UNSANDBOXED, env=env
            )

    return _cold_runs.submit(execute)


def _wait(
    future: concurrent.futures.Future[ExecutionResult], run: ExerciseRun, limits: SandboxLimits
) -> ExecutionResult:
    """The result, looking every STOP_POLL_S whether the student pressed Stop."""
    deadline = time.monotonic() + limits.notebook_timeout_s + START_MARGIN_S
    stop_requested = ExerciseRun.objects.filter(pk=run.pk, stop_requested=True)
    while True:
        try:
            return future.result(timeout=STOP_POLL_S)
        except concurrent.futures.TimeoutError:
            pass
        if stop_requested.exists():
            future.cancel()
            raise _Stopped
        if time.monotonic() > deadline:
            future.cancel()
            raise RunRefused(
                _("The run took longer than %(seconds)g s and was stopped.")
                % {"seconds": limits.notebook_timeout_s}
            )


# ---------------------------------------------------------------------------------------
# Pure: an executed notebook -> what the page shows
# ---------------------------------------------------------------------------------------


def cells_of(result: ExecutionResult, *, stop_at_first_error: bool) -> list[dict[str, Any]]:
    """Each executed code cell of `result` as stored in ExerciseRun.outputs.

    `stop_at_first_error` (a "Run", as Jupyter's "Run all"): the cells after the first
    one that failed are shown as not run, without the errors that follow from it (the
    NameError of a function the failed cell did not define). A check shows every cell:
    a test of another answer still says whether it passes.
    """
    cells = []
    failed = False
    for execution in result.cells:
        cell = result.notebook.cells[execution.index]
        meta = nbgrader_metadata(cell)
        status = cell_status(execution)
        outputs = convert_outputs(cell.get("outputs", []))
        if failed and stop_at_first_error:
            status, outputs = "not_run", []
        entry: dict[str, Any] = {
            "index": execution.index,
            "grade_id": meta.grade_id or None,
            "status": status,
            "outputs": outputs,
        }
        if meta.kind == CellKind.TEST and str(cell.source).strip():
            entry["test"] = True
            entry["message"] = visible_test_message(status, execution, outputs)
        cells.append(entry)
        failed = failed or status in ("error", "timeout")
    return cells


def cell_status(execution: CellExecution) -> str:
    """The kernel's account of a cell, in the API's words (ok, error, timeout, not_run)."""
    if execution.status in CELL_STATUSES:
        return execution.status
    return "not_run" if execution.status == "aborted" else "error"


_ARROW_LINE = re.compile(r"^-*>\s*\d+\s(.*)$", re.MULTILINE)


def visible_test_message(status: str, execution: CellExecution, outputs: list[dict]) -> str:
    """Why a visible test failed: the assertion's own message, else the failing line, else
    the error; "" when it passed."""
    if status == "ok":
        return ""
    if status == "not_run":
        return _("This test did not run: an earlier cell stopped the run.")
    ename, evalue = execution.ename, execution.evalue
    if status == "error" and ename == "AssertionError":
        if evalue.strip():
            return evalue.strip()
        tracebacks = [o["traceback"] for o in outputs if o["type"] == "error"]
        lines = _ARROW_LINE.findall(tracebacks[-1]) if tracebacks else []
        if lines:
            return _("This check failed: %(line)s") % {"line": lines[-1].strip()}
        return _("The test's assertion failed.")
    return f"{ename}: {evalue}".strip(": ") or _("The test failed.")


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
IMAGE_MIMETYPES = ("image/png", "image/jpeg", "image/svg+xml")
TABLE_TAGS = frozenset(
    {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col"}
)
#: Elements removed with everything inside them (not left behind as text).
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "title"})


def strip_ansi(text: str) -> str:
    """Text without the terminal's colour and cursor codes (IPython's tracebacks)."""
    return _ANSI.sub("", text)


def _text(value: Any) -> str:
    """nbformat text: a string, or a list of lines as stored on disk."""
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return "" if value is None else str(value)


def convert_outputs(outputs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A code cell's nbformat outputs as the run API shows them, one item each:

    * ``{"type": "stream", "name": "stdout" | "stderr", "text"}``;
    * ``{"type": "error", "ename", "evalue", "traceback"}``, the traceback as plain text;
    * ``{"type": "image", "mime", "data"}``, PNG, JPEG or SVG as base64;
    * ``{"type": "html", "html"}``, a table only (pandas' DataFrame), cleaned: table
      tags, colspan and rowspan, text; nothing else (no style, script, link, attribute);
    * ``{"type": "text", "text"}``, a result or display as plain text.

    Of a rich output (a result or a display) the richest safe form is taken: an image,
    else an HTML table, else its plain text. What none of these fits (widgets, JavaScript)
    is left out. Pure: no Django, no I/O.
    """
    converted = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            name = output.get("name")
            converted.append(
                {
                    "type": "stream",
                    "name": name if name in ("stdout", "stderr") else "stdout",
                    "text": strip_ansi(_text(output.get("text"))),
                }
            )
        elif kind == "error":
            traceback = output.get("traceback") or []
            converted.append(
                {
                    "type": "error",
                    "ename": strip_ansi(_text(output.get("ename"))),
                    "evalue": strip_ansi(_text(output.get("evalue"))),
                    "traceback": strip_ansi(
                        "\n".join(_text(line) for line in traceback)
                        if isinstance(traceback, list)
                        else _text(traceback)
                    ),
                }
            )
        elif kind in ("execute_result", "display_data"):
            item = _rich(output.get("data") or {})
            if item is not None:
                converted.append(item)
    return converted


def _rich(data: Mapping[str, Any]) -> dict[str, Any] | None:
    for mime in IMAGE_MIMETYPES:
        if mime in data:
            encoded = _image_base64(mime, data[mime])
            if encoded:
                return {"type": "image", "mime": mime, "data": encoded}
    html = _text(data.get("text/html")) if "text/html" in data else ""
    if "<table" in html.lower():
        cleaned = clean_table_html(html)
        if "<table" in cleaned:
            return {"type": "html", "html": cleaned}
    for mime in ("text/plain", "text/markdown", "text/latex"):
        if mime in data:
            return {"type": "text", "text": strip_ansi(_text(data[mime]))}
    if html:
        return {"type": "text", "text": html_text(html)}
    return None


def _image_base64(mime: str, value: Any) -> str:
    """The image as base64 ("" if it is not one): SVG is text in a notebook, PNG and JPEG
    are base64 already (checked, whitespace removed)."""
    if mime == "image/svg+xml":
        return base64.b64encode(_text(value).encode("utf-8", "replace")).decode("ascii")
    encoded = "".join(_text(value).split())
    try:
        base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return encoded


class _DropContent(Filter):
    """Removes the elements of _DROPPED_WITH_CONTENT with their content (bleach would keep
    the text of a style sheet or a script in place of the element)."""

    def __iter__(self):
        inside = 0  # how many dropped elements the current token is in
        for token in super().__iter__():
            if token.get("name") in _DROPPED_WITH_CONTENT:
                if token["type"] == "StartTag":
                    inside += 1
                elif token["type"] == "EndTag":
                    inside = max(0, inside - 1)
                continue
            if not inside:
                yield token


def _cleaner(tags: frozenset[str]) -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=tags | _DROPPED_WITH_CONTENT,  # let through to _DropContent, which drops them
        attributes={"th": ["colspan", "rowspan"], "td": ["colspan", "rowspan"]},
        strip=True,
        strip_comments=True,
        filters=[_DropContent],
    )


_cleaners = threading.local()  # a bleach Cleaner is not thread-safe: one per thread


def clean_table_html(html: str) -> str:
    """A table (pandas' HTML) with nothing but table markup and text left."""
    if not hasattr(_cleaners, "table"):
        _cleaners.table = _cleaner(TABLE_TAGS)
    return _cleaners.table.clean(html).strip()


def html_text(html: str) -> str:
    """The text an HTML output shows, for one that is not a table."""
    if not hasattr(_cleaners, "text"):
        _cleaners.text = _cleaner(frozenset())
    return unescape(_cleaners.text.clean(html)).strip()
