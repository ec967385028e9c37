"""Writes of the grading app: exercises, submissions, grading, regrading, manual grades.

Interfaces (views, API, tasks, commands) call these and nothing else writes these models.
Work for the graders is queued through grading.queue (by task name: services never import
the tasks). Whenever a student's results change (graded, regraded, graded by hand), the
same call hands them on: the graded cells to `evidence_replace`, passed-or-not to the
courses' progress (`exercise_outcome_publish`); no signal carries them.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import nbformat
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from nbformat import NotebookNode

from courses.services import exercise_outcome_record, exercise_outcomes_forget
from evidence.models import EvidenceSource
from evidence.services import EvidenceItem, EvidenceScope, evidence_replace, evidence_retract
from grading.notebook.errors import NotebookError
from grading.notebook.metadata import CellKind, SourceSpec, nbgrader_metadata, parse_source
from grading.notebook.pipeline import grade_with_feedback, validate_source
from grading.notebook.read import read_notebook
from grading.notebook.release import release
from grading.notebook.types import ExecutionEnv
from grading.sandbox import runtimes
from grading.sandbox.bubblewrap import SandboxUnavailable
from grading.sandbox.executor import sandboxed_executor
from grading.sandbox.runtimes import UnknownRuntime
from people import panels
from xapi import services as xapi

from . import completion, queue
from .datafiles import DataFileLimits, DataFilesRefused, data_file_problems, sha256
from .models import (
    CellResult,
    Exercise,
    ExerciseCellCompetence,
    ExerciseFile,
    ExerciseSummary,
    RegradeJob,
    Submission,
)
from .signals import announce_outcome

log = logging.getLogger("grading")


class SubmissionRefused(Exception):
    """A submission that cannot be accepted; the message is for the student."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedSource:
    """A teacher's source notebook, read and checked once: what an exercise stores."""

    notebook: NotebookNode  # normalized by read_notebook
    spec: SourceSpec  # its graded cells, as parse_source found them
    runtime: str = ""  # the installed runtime it runs in (its kernel's, or the exercise's)


class RuntimeRefused(NotebookError):
    """A notebook's kernel, or an exercise's choice of runtime, names no runtime installed
    here. `chosen`: the exercise's choice (else the notebook's kernel) is the culprit."""

    def __init__(self, message: str, *, chosen: bool) -> None:
        super().__init__(message)
        self.chosen = chosen


def runtime_refusal(exc: UnknownRuntime, *, chosen: bool) -> str:
    """The teacher's explanation of an UnknownRuntime, naming the installed runtimes."""
    installed = ", ".join(exc.installed) or _("none")
    values = {"name": exc.name, "installed": installed}
    if not exc.built:
        return (
            _(
                "The runtime “%(name)s” is not built on this server (run: make runtimes). "
                "Installed runtimes: %(installed)s."
            )
            % values
        )
    if chosen:
        return _("There is no runtime “%(name)s” here. Installed runtimes: %(installed)s.") % values
    return (
        _(
            "The notebook's kernel “%(name)s” is not a runtime of this server. Installed "
            "runtimes: %(installed)s. Choose one in the exercise's “Runtime” field, or change "
            "the notebook's kernel."
        )
        % values
    )


def runtimes_installed() -> list[runtimes.Runtime]:
    """The runtimes student code can run in on this machine, by name."""
    return [runtime for _name, runtime in sorted(runtimes.installed().items())]


def exercise_runtime(*, notebook, runtime: str = "") -> str:
    """The name of the installed runtime `notebook` runs in: `runtime` (an exercise's
    choice) or the one its kernel names. RuntimeRefused, naming the installed ones, if
    there is none here: never a silent fallback to another runtime."""
    try:
        return runtimes.for_notebook(notebook, override=runtime).name
    except UnknownRuntime as exc:
        chosen = bool(runtime)
        raise RuntimeRefused(runtime_refusal(exc, chosen=chosen), chosen=chosen) from exc


def exercise_source_check(data: bytes | str, *, runtime: str = "") -> CheckedSource:
    """Read a teacher's source notebook and check it can be an exercise, without running it.

    Raises NotebookError with every problem (not a notebook, duplicate or blank grade ids,
    negative points, no graded cell), then RuntimeRefused (a NotebookError) when neither
    `runtime` (the exercise's choice, "" for none) nor the notebook's kernel names a
    runtime installed here. The admin form and the commands call this first, so a bad
    notebook is refused before anything is saved; they hand the result on to
    `exercise_set_source`, which does not read it again.
    """
    nb = read_notebook(data)
    spec = parse_source(nb)
    if not spec.cells:
        raise NotebookError(_("The notebook has no graded cells (nbgrader metadata)."))
    return CheckedSource(
        notebook=nb, spec=spec, runtime=exercise_runtime(notebook=nb, runtime=runtime)
    )


@transaction.atomic
def exercise_set_source(
    *,
    exercise: Exercise,
    data: bytes | str | None = None,
    checked: CheckedSource | None = None,
    filename: str = "",
    queue_check: bool = True,
) -> Exercise:
    """Store a teacher's source notebook (`data`, or `checked` by `exercise_source_check`)
    with its grading plan, and queue its validation in the sandbox.

    Raises NotebookError (with every problem) for a notebook that cannot be an exercise;
    nothing is stored then. `queue_check=False` leaves the check to the caller, which
    runs `exercise_validate` itself (the demo loader, `import_nbgrader --validate-now`).
    """
    if checked is None:
        if data is None:
            raise TypeError("exercise_set_source needs `data` or `checked`")
        checked = exercise_source_check(data)
    exercise.source_notebook = checked.notebook
    exercise.grading_spec = checked.spec.to_dict()
    exercise.student_notebook = release(checked.notebook, checked=True)
    exercise.source_filename = filename[:255]
    exercise.max_score = checked.spec.max_total
    exercise.status = Exercise.Status.VALIDATING
    exercise.validation_report = {}
    exercise.save()
    if queue_check:
        queue.exercise_validation_queue(exercise_id=exercise.pk)
    return exercise


def _without_cell_ids(nb) -> dict:
    """The notebook as JSON, minus cell ids: nbformat invents missing ids on every read."""
    data = copy.deepcopy(dict(nb))
    for cell in data.get("cells", []):
        cell.pop("id", None)
    return data


def exercise_source_unchanged(*, exercise: Exercise, notebook) -> bool:
    """Whether `notebook` is the exercise's stored source (cell ids aside)."""
    return bool(exercise.source_notebook) and _without_cell_ids(
        exercise.source_notebook
    ) == _without_cell_ids(notebook)


class ImportOutcome(StrEnum):
    """What importing a source notebook did to its exercise."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@transaction.atomic
def exercise_import(
    *,
    slug: str,
    data: bytes | str | None = None,
    checked: CheckedSource | None = None,
    filename: str,
    title: str,
    course=None,
    created_by=None,
    queue_check: bool = True,
    files: dict[str, bytes] | None = None,
) -> tuple[Exercise, str]:
    """Create or update the exercise `slug` from a source notebook (`data`, or `checked` by
    `exercise_source_check`); idempotent. The notebook is read and checked once.

    `files` (path -> content), when given, become the exercise's data files, replacing
    the ones it had (None leaves them alone). A notebook equal to the stored source, with
    the same files, changes nothing (its check is not run again); a changed one replaces
    the source and queues a new check. Raises NotebookError for a notebook that cannot be
    an exercise, DataFilesRefused for files that cannot go with it; nothing is stored then.
    """
    if checked is None:
        if data is None:
            raise TypeError("exercise_import needs `data` or `checked`")
        checked = exercise_source_check(data)
    if files is not None:
        _check_files(files)
    exercise = Exercise.objects.select_for_update().filter(slug=slug).first()
    if exercise is None:
        exercise = Exercise(slug=slug, title=title[:200], course=course, created_by=created_by)
        outcome = ImportOutcome.CREATED
    else:
        if course is not None and exercise.course_id != course.pk:
            exercise.course = course
            exercise.save(update_fields=["course", "updated_at"])
        if exercise_source_unchanged(exercise=exercise, notebook=checked.notebook) and (
            files is None or _stored_files(exercise) == _digests(files)
        ):
            return exercise, ImportOutcome.UNCHANGED
        outcome = ImportOutcome.UPDATED
    exercise = exercise_set_source(
        exercise=exercise, checked=checked, filename=filename, queue_check=queue_check
    )
    if files is not None:
        _replace_files(exercise, files)
    return exercise, outcome


# ---------------------------------------------------------------------------------------
# Data files (nbgrader's extra files): checked by grading.datafiles, stored in the database
# so every worker has them, laid read-only in the kernel's working directory
# ---------------------------------------------------------------------------------------


def _digests(files: dict[str, bytes]) -> dict[str, str]:
    return {path: sha256(content) for path, content in files.items()}


def _stored_files(exercise: Exercise) -> dict[str, str]:
    return dict(ExerciseFile.objects.filter(exercise=exercise).values_list("path", "sha256"))


def _check_files(files: dict[str, bytes] | list[tuple[str, bytes]], keep=()) -> None:
    """DataFilesRefused unless `files` and the stored files kept (`keep`: (path, size)
    pairs) may together be an exercise's data files."""
    pairs = files.items() if isinstance(files, dict) else files
    sizes = [*keep, *((path, len(content)) for path, content in pairs)]
    problems = data_file_problems(sizes, DataFileLimits.from_settings())
    if problems:
        raise DataFilesRefused(problems)


def _store_file(exercise: Exercise, path: str, content: bytes) -> None:
    ExerciseFile.objects.update_or_create(
        exercise=exercise,
        path=path,
        defaults={"content": content, "size": len(content), "sha256": sha256(content)},
    )


def _replace_files(exercise: Exercise, files: dict[str, bytes]) -> bool:
    """Make `files` the exercise's data files; whether anything changed."""
    stored = _stored_files(exercise)
    wanted = _digests(files)
    if stored == wanted:
        return False
    ExerciseFile.objects.filter(exercise=exercise).exclude(path__in=list(files)).delete()
    for path, content in files.items():
        if stored.get(path) != wanted[path]:
            _store_file(exercise, path, content)
    return True


@transaction.atomic
def exercise_files_add(*, exercise: Exercise, files: list[tuple[str, bytes]]) -> int:
    """Add data files to an exercise (one of the same path is replaced) and check the
    exercise again with them. Returns how many files changed.

    DataFilesRefused with every problem (a path outside the folder, a hidden name, a file
    or all of them too large, a path given twice); nothing is stored then.
    """
    locked = Exercise.objects.select_for_update().get(pk=exercise.pk)  # one upload at a time
    uploaded = {path for path, _content in files}
    kept = ExerciseFile.objects.filter(exercise=locked).exclude(path__in=uploaded)
    _check_files(files, keep=list(kept.values_list("path", "size")))
    stored = _stored_files(locked)
    changed = 0
    for path, content in files:
        if stored.get(path) != sha256(content):
            _store_file(locked, path, content)
            changed += 1
    if changed:
        exercise_check_again(exercise=locked)
    return changed


@transaction.atomic
def exercise_file_delete(*, exercise: Exercise, path: str) -> bool:
    """Remove a data file from an exercise and check the exercise again without it."""
    deleted, _rows = ExerciseFile.objects.filter(exercise=exercise, path=path).delete()
    if deleted:
        exercise_check_again(exercise=exercise)
    return bool(deleted)


def exercise_check_again(*, exercise: Exercise) -> None:
    """Something the source's check depends on changed (its runtime, limits or data files):
    check it again in the sandbox. Nothing to do before it has a source."""
    if not exercise.source_notebook:
        return
    Exercise.objects.filter(pk=exercise.pk).update(
        status=Exercise.Status.VALIDATING, validation_report={}, updated_at=timezone.now()
    )
    exercise.status = Exercise.Status.VALIDATING
    exercise.validation_report = {}
    queue.exercise_validation_queue(exercise_id=exercise.pk)


def exercise_execution_env(exercise: Exercise) -> ExecutionEnv:
    """Where the exercise's notebooks run: its runtime (UnknownRuntime when this machine
    lacks it) and its data files."""
    name = runtimes.for_notebook(exercise.source_notebook, override=exercise.runtime).name
    files = {f.path: bytes(f.content) for f in ExerciseFile.objects.filter(exercise=exercise)}
    return ExecutionEnv(runtime=name, files=files)


def exercise_validate(*, exercise_id: int) -> Exercise | None:
    """Run the source (full marks expected) and the student version (zero expected)."""
    exercise = Exercise.objects.filter(pk=exercise_id).first()
    if exercise is None or not exercise.source_notebook:
        return exercise
    source = nbformat.from_dict(exercise.source_notebook)
    started = time.monotonic()
    # The report is stored as text, for the teachers: in the language of its author.
    with translation.override(_language_of(exercise.created_by)):
        try:
            validation = validate_source(
                source,
                executor=sandboxed_executor(),
                limits=exercise.sandbox_limits,
                allow_unsandboxed=settings.GRADING_ALLOW_UNSANDBOXED,
                env=exercise_execution_env(exercise),
            )
        except SandboxUnavailable as exc:
            report = {"ok": False, "problems": [_unsandboxed_message()], "detail": str(exc)}
            Exercise.objects.filter(pk=exercise.pk).update(
                status=Exercise.Status.INVALID, validation_report=report
            )
            return Exercise.objects.get(pk=exercise.pk)
        except UnknownRuntime as exc:  # this worker lacks it: said, never run elsewhere
            problem = runtime_refusal(exc, chosen=bool(exercise.runtime))
            report = {"ok": False, "problems": [problem], "detail": str(exc)}
            Exercise.objects.filter(pk=exercise.pk).update(
                status=Exercise.Status.INVALID, validation_report=report
            )
            return Exercise.objects.get(pk=exercise.pk)
    report = {
        "ok": validation.ok,
        "problems": list(validation.problems),
        "solution": validation.solution_result.to_dict() if validation.solution_result else None,
        "student": validation.student_result.to_dict() if validation.student_result else None,
        "seconds": round(time.monotonic() - started, 2),
        "checked_at": timezone.now().isoformat(),
    }
    Exercise.objects.filter(pk=exercise.pk).update(
        status=Exercise.Status.READY if validation.ok else Exercise.Status.INVALID,
        validation_report=report,
    )
    return Exercise.objects.get(pk=exercise.pk)


def _unsandboxed_message() -> str:
    return _(
        "The grading sandbox (bubblewrap) is not available on the grading worker, so "
        "student code cannot run. Ask the platform team to install bubblewrap."
    )


# ---------------------------------------------------------------------------------------
# Submissions
# ---------------------------------------------------------------------------------------


def _check_may_submit(*, exercise: Exercise, student, now) -> bool:
    """Raise SubmissionRefused with the reason; return whether the submission is late."""
    if not exercise.is_ready:
        raise SubmissionRefused(_("This exercise is not open for submissions yet."))
    if exercise.max_attempts is not None:
        used = Submission.objects.filter(exercise=exercise, student=student).count()
        if used >= exercise.max_attempts:
            raise SubmissionRefused(
                ngettext(
                    "You have used your %(count)d attempt for this exercise.",
                    "You have used all %(count)d attempts for this exercise.",
                    exercise.max_attempts,
                )
                % {"count": exercise.max_attempts}
            )
    late = exercise.due_at is not None and now > exercise.due_at
    if late and exercise.late_policy == Exercise.LatePolicy.REFUSE:
        raise SubmissionRefused(
            _("The deadline (%(due)s) has passed; this exercise no longer accepts submissions.")
            % {"due": timezone.localtime(exercise.due_at).strftime("%Y-%m-%d %H:%M")}
        )
    return late


def _check_belongs_to_exercise(exercise: Exercise, nb) -> None:
    """A notebook of another exercise is refused rather than graded as all-wrong."""
    source_ids = set(exercise.source_spec.grade_ids)
    submitted_ids = {
        meta.grade_id for meta in (nbgrader_metadata(cell) for cell in nb.cells) if meta.grade_id
    }
    if submitted_ids and not (submitted_ids & source_ids):
        raise SubmissionRefused(
            _(
                "This notebook belongs to another exercise: none of its graded cells are part "
                "of “%(title)s”. Download this exercise's notebook and answer in it."
            )
            % {"title": exercise.title}
        )


@transaction.atomic
def submission_create(
    *, exercise: Exercise, student, notebook: bytes | str | dict, origin: str
) -> Submission:
    """Store an attempt and queue it for grading once the transaction commits.

    Raises SubmissionRefused (not open, attempts used, deadline, another exercise's
    notebook) or NotebookError (not a notebook, too big, ...). Nothing is stored then.
    """
    now = timezone.now()
    if isinstance(notebook, dict):
        nb = read_notebook(nbformat.writes(nbformat.from_dict(notebook)))
    else:
        nb = read_notebook(notebook)
    # Lock the student's summary row: concurrent submissions get consecutive attempts.
    summary, _created = ExerciseSummary.objects.select_for_update().get_or_create(
        exercise=exercise, student=student, defaults={"max_score": exercise.max_score}
    )
    is_late = _check_may_submit(exercise=exercise, student=student, now=now)
    _check_belongs_to_exercise(exercise, nb)
    attempt = Submission.objects.filter(exercise=exercise, student=student).count() + 1
    submission = Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=attempt,
        origin=origin,
        notebook=nb,
        submitted_at=now,
        is_late=is_late,
    )
    xapi.exercise_submitted(submission=submission)
    summary.attempts = attempt
    summary.last_activity = now
    summary.save(update_fields=["attempts", "last_activity"])
    queue.submission_grading_queue(submission_id=submission.pk, interactive=True)
    return submission


def submission_from_answers(*, exercise: Exercise, student, answers: dict[str, str]) -> Submission:
    """Build a notebook from answers typed in the browser (grade_id -> source) and submit it."""
    nb = notebook_from_answers(exercise=exercise, answers=answers)
    return submission_create(
        exercise=exercise, student=student, notebook=nb, origin=Submission.Origin.BROWSER
    )


def notebook_from_answers(*, exercise: Exercise, answers: dict[str, str]) -> NotebookNode:
    """The exercise's student version with the answer cells `answers` (grade_id -> source)
    filled in; SubmissionRefused for an id that is not an answer cell or a non-text answer.
    Submissions from the browser and runs (grading.runs) build their notebook here."""
    nb = nbformat.from_dict(copy.deepcopy(exercise.student_notebook))
    answer_cells = {}
    for cell in nb.cells:
        meta = nbgrader_metadata(cell)
        if meta.grade_id and meta.kind in (CellKind.ANSWER, CellKind.MANUAL_ANSWER):
            answer_cells[meta.grade_id] = cell
    unknown = sorted(set(answers) - set(answer_cells))
    if unknown:
        raise SubmissionRefused(
            _("These are not answer cells of this exercise: %(ids)s.") % {"ids": ", ".join(unknown)}
        )
    for grade_id, source in answers.items():
        if not isinstance(source, str):
            raise SubmissionRefused(_("Each answer must be text."))
        answer_cells[grade_id].source = source
    return nb


# ---------------------------------------------------------------------------------------
# Grading (run by grade_submission_task)
# ---------------------------------------------------------------------------------------


def _language_of(user) -> str:
    """The language to write to `user` in where there is no request: theirs, or the default."""
    preferred = getattr(user, "preferred_language", "") or ""
    try:
        return translation.get_supported_language_variant(preferred)
    except LookupError:
        return settings.LANGUAGE_CODE


def _claim(submission_id: int) -> Submission | None:
    """Mark the submission running, under this worker's lease; None when it is already
    finished (a redelivery). A live lease does not refuse the claim: a worker whose pool
    process was killed gets the message back at once, before the lease ends. Two runs at
    once store one result (`_store` keeps the first)."""
    now = timezone.now()
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .select_related("exercise")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None or submission.is_finished:
            return None
        submission.status = Submission.Status.RUNNING
        submission.started_at = now
        submission.lease_until = now + timezone.timedelta(seconds=settings.GRADING_LEASE_SECONDS)
        submission.grading_runs = F("grading_runs") + 1
        submission.save(update_fields=["status", "started_at", "lease_until", "grading_runs"])
    submission.refresh_from_db()
    return submission


@contextmanager
def _lease(submission_id: int):
    """While grading runs, renew the submission's lease every third of its length from a
    thread of this worker process. A worker killed (kill -9, a lost machine) stops
    renewing, and `requeue_stuck_submissions` sends the submission again once the lease is
    past: within a minute, not after the task's hard time limit."""
    seconds = settings.GRADING_LEASE_SECONDS
    stop = threading.Event()

    def renew():
        try:
            while not stop.wait(seconds / 3):
                Submission.objects.filter(
                    pk=submission_id, status=Submission.Status.RUNNING
                ).update(lease_until=timezone.now() + timezone.timedelta(seconds=seconds))
        finally:
            connection.close()  # the thread's own database connection

    renewer = threading.Thread(target=renew, name=f"lease-{submission_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


def submission_grade(*, submission_id: int) -> Submission | None:
    """Grade a queued (or crashed-while-running) submission once; idempotent.

    Run twice for the same submission, the second run finds it graded and does nothing.
    A run that died midway (worker killed) left it RUNNING: the redelivered task grades it
    again from scratch, and results are written in one transaction, so nothing is counted
    twice.
    """
    submission = _claim(submission_id)
    if submission is None:
        return None
    with _lease(submission.pk):
        return _grade_claimed(submission)


def _grade_claimed(submission: Submission) -> Submission:
    exercise = submission.exercise
    started = time.monotonic()
    # The pipeline's messages (per cell, repair notes, feedback page, failure reason) are
    # stored as text, so they are in the student's language: they are the ones who read
    # them. A teacher reviewing the submission sees them in that language too.
    with translation.override(_language_of(submission.student)):
        try:
            graded = grade_with_feedback(
                nbformat.from_dict(exercise.source_notebook),
                nbformat.from_dict(submission.notebook),
                spec=exercise.source_spec,  # parsed once, when the source was stored
                executor=sandboxed_executor(),
                limits=exercise.sandbox_limits,
                allow_unsandboxed=settings.GRADING_ALLOW_UNSANDBOXED,
                env=exercise_execution_env(exercise),
                hints=exercise.test_hints if isinstance(exercise.test_hints, dict) else None,
            )
        except NotebookError as exc:
            return _fail(submission, str(exc))
        except SandboxUnavailable:
            log.error("submission %s not graded: bubblewrap is not available", submission.pk)
            return _fail(submission, _unsandboxed_message())
        except UnknownRuntime as exc:
            # Not retried and never run in another runtime: the worker lacks this one. A
            # teacher regrades the attempt once the runtime is installed.
            log.error("submission %s not graded: %s", submission.pk, exc)
            return _fail(
                submission,
                _(
                    "This exercise runs in the runtime “%(name)s”, which the grading server "
                    "does not have (installed: %(installed)s). Your attempt is kept: tell "
                    "your teacher, who can grade it again once the runtime is installed."
                )
                % {"name": exc.name, "installed": ", ".join(exc.installed) or "—"},
            )
    return _store(submission, graded, seconds=time.monotonic() - started)


def _fail(submission: Submission, reason: str) -> Submission:
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk, status=Submission.Status.RUNNING).update(
            status=Submission.Status.FAILED, failure_reason=reason, graded_at=timezone.now()
        )
    submission.refresh_from_db()
    return submission


@transaction.atomic
def _store(submission: Submission, graded, *, seconds: float) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Submission.Status.RUNNING:
        return locked  # another run finished first; keep its results
    result = graded.result
    CellResult.objects.filter(submission=locked).delete()
    CellResult.objects.bulk_create(
        CellResult(
            submission=locked,
            grade_id=cell.grade_id,
            position=position,
            status=cell.status,
            auto_score=cell.score,
            max_score=cell.max_score,
            message=cell.message,
        )
        for position, cell in enumerate(result.cells)
    )
    locked.status = Submission.Status.GRADED
    locked.graded_at = timezone.now()
    locked.grading_seconds = round(seconds, 3)
    locked.max_total = result.max_total
    locked.feedback_html = graded.feedback_html
    # repairs, why execution stopped early, and the cell that failed first (if it explains)
    locked.notes = [
        *result.notes,
        *([result.error] if result.error else []),
        *([result.root_cause] if result.root_cause else []),
    ]
    locked.failure_reason = ""
    _apply_totals(locked)
    locked.save()
    xapi.exercise_graded(submission=locked, passed=completion.submission_outcome(locked).passed)
    _refresh_summary(locked.exercise_id, locked.student_id)
    exercise_outcome_publish(exercise=locked.exercise, student=locked.student)
    return locked


def _apply_totals(submission: Submission) -> None:
    """Totals from the cells (manual scores win), then the late penalty."""
    cells = list(CellResult.objects.filter(submission=submission))
    raw = sum(cell.score or 0 for cell in cells)
    submission.raw_total = raw
    submission.needs_manual = any(cell.score is None for cell in cells)
    exercise = submission.exercise
    penalty = 0.0
    if submission.is_late and exercise.late_policy == Exercise.LatePolicy.PENALTY:
        penalty = raw * exercise.late_penalty_percent / 100
    submission.total = round(raw - penalty, 4)


def _refresh_summary(exercise_id: int, student_id: int) -> None:
    summary, _ = ExerciseSummary.objects.select_for_update().get_or_create(
        exercise_id=exercise_id, student_id=student_id
    )
    best = (
        Submission.objects.filter(
            exercise_id=exercise_id, student_id=student_id, status=Submission.Status.GRADED
        )
        .order_by(F("total").desc(nulls_last=True), "submitted_at")
        .first()
    )
    exercise = Exercise.objects.get(pk=exercise_id)
    summary.best_submission = best
    summary.best_score = best.total if best else None
    summary.max_score = exercise.max_score
    # by the auto-graded points: a cell awaiting a teacher does not block (grading.completion)
    summary.passed = completion.any_passed(
        exercise,
        Submission.objects.filter(
            exercise_id=exercise_id, student_id=student_id, status=Submission.Status.GRADED
        ).prefetch_related("cells"),
    )
    summary.attempts = Submission.objects.filter(
        exercise_id=exercise_id, student_id=student_id
    ).count()
    summary.save()
    panels.student_changed(student_id)  # their dashboard's recent results


@transaction.atomic
def exercise_outcome_publish(*, exercise: Exercise, student) -> int:
    """Hand on what the student's best graded attempt at `exercise` shows: each graded cell
    linked to a competence as evidence (replacing everything the exercise gave before, so
    a regrade or another attempt never counts twice), then passed-or-not to the courses'
    progress. Runs in the transaction that changed the results, so all of it commits or
    rolls back with them. Returns the evidence rows written."""
    summary = (
        ExerciseSummary.objects.filter(exercise=exercise, student=student)
        .select_related("best_submission")
        .first()
    )
    best = summary.best_submission if summary else None
    rows = evidence_replace(
        student_id=student.pk,
        scope=EvidenceScope.under(EvidenceSource.EXERCISE, f"exercise:{exercise.pk}:"),
        items=_evidence_items(exercise, best),
    )
    exercise_outcome_record(
        student=student,
        course_id=exercise.course_id,
        exercise_id=exercise.pk,
        passed=bool(summary and summary.passed),
    )
    announce_outcome(exercise=exercise, student_id=student.pk)  # after commit: LTI passback
    return len(rows)


@transaction.atomic
def exercise_outcomes_refresh(*, exercise: Exercise) -> int:
    """The passing rule of `exercise` changed (its pass mark): every student who has a
    graded attempt is told again whether they passed. Returns how many students."""
    student_ids = (
        Submission.objects.filter(exercise=exercise, status=Submission.Status.GRADED)
        .values_list("student_id", flat=True)
        .distinct()
    )
    students = list(get_user_model().objects.filter(pk__in=list(student_ids)))
    for student in students:
        _refresh_summary(exercise.pk, student.pk)
        exercise_outcome_publish(exercise=exercise, student=student)
    return len(students)


@transaction.atomic
def exercise_outcomes_retract(*, exercise_ids: list[int]) -> int:
    """Exercises are being deleted (their submissions go with them): what they gave
    students goes too, the competence evidence of their cells and the pass the courses'
    progress remembers. Returns the evidence rows removed."""
    removed = sum(
        evidence_retract(scope=EvidenceScope.under(EvidenceSource.EXERCISE, f"exercise:{pk}:"))
        for pk in exercise_ids
    )
    exercise_outcomes_forget(exercise_ids=list(exercise_ids))
    return removed


def _evidence_items(exercise: Exercise, best: Submission | None) -> list[EvidenceItem]:
    """One item per competence link of a cell the best attempt has a score for."""
    if best is None:
        return []
    cells = {cell.grade_id: cell for cell in CellResult.objects.filter(submission=best)}
    items = []
    for link in ExerciseCellCompetence.objects.filter(exercise=exercise):
        cell = cells.get(link.grade_id)
        if cell is None or cell.score is None or not cell.max_score:
            continue  # not graded (yet): waiting for a teacher
        items.append(
            EvidenceItem(
                source_key=f"exercise:{exercise.pk}:{link.grade_id}",
                competence_id=link.competence_id,
                level=link.level,
                score=cell.score / cell.max_score,
            )
        )
    return items


# ---------------------------------------------------------------------------------------
# Teachers: regrade, manual grading
# ---------------------------------------------------------------------------------------


@transaction.atomic
def submission_regrade(*, submission: Submission, interactive: bool = True) -> Submission:
    """Grade again (after the exercise's tests changed, or on a student's request)."""
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.QUEUED, failure_reason="", sent_at=None, lease_until=None
    )
    submission.refresh_from_db()
    panels.student_changed(submission.student_id)  # no longer among their graded results
    queue.submission_grading_queue(submission_id=submission.pk, interactive=interactive)
    return submission


@transaction.atomic
def exercise_regrade(*, exercise: Exercise, requested_by, student_ids=None) -> RegradeJob:
    """Regrade every submission of an exercise (optionally of some students) in bulk."""
    submissions = Submission.objects.filter(exercise=exercise)
    if student_ids is not None:
        submissions = submissions.filter(student_id__in=student_ids)
    rows = list(submissions.order_by("pk").values_list("pk", "student_id"))
    ids = [pk for pk, _student_id in rows]
    job = RegradeJob.objects.create(
        exercise=exercise, requested_by=requested_by, total=len(ids), submission_ids=ids
    )
    Submission.objects.filter(pk__in=ids).update(
        status=Submission.Status.QUEUED, failure_reason="", sent_at=None, lease_until=None
    )
    panels.student_changed(*(student_id for _pk, student_id in rows))  # as above
    for pk in ids:
        queue.submission_grading_queue(submission_id=pk, interactive=False)
    if not ids:
        job.finished_at = timezone.now()
        job.save(update_fields=["finished_at"])
    return job


@dataclass(frozen=True)
class RegradeProgress:
    total: int
    done: int
    failed: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)


def regrade_progress(*, job: RegradeJob) -> RegradeProgress:
    finished = Submission.objects.filter(
        pk__in=job.submission_ids,
        status__in=[Submission.Status.GRADED, Submission.Status.FAILED],
        graded_at__gte=job.created_at,
    )
    done = finished.count()
    failed = finished.filter(status=Submission.Status.FAILED).count()
    if done >= job.total and job.finished_at is None:
        RegradeJob.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    return RegradeProgress(total=job.total, done=done, failed=failed)


@transaction.atomic
def cell_grade_manually(
    *, cell: CellResult, score: float, comment: str = "", teacher
) -> CellResult:
    """A teacher's score for a free-response or task cell (or an override of the grader)."""
    if score < 0 or score > cell.max_score:
        raise ValueError(
            _("The score must be between 0 and %(max)s.") % {"max": f"{cell.max_score:g}"}
        )
    cell.manual_score = score
    cell.comment = comment
    cell.graded_by = teacher
    if cell.status == CellResult.Status.NEEDS_MANUAL or score >= cell.max_score:
        cell.status = (
            CellResult.Status.PASSED if score >= cell.max_score else CellResult.Status.FAILED
        )
    cell.save()
    submission = Submission.objects.select_for_update().get(pk=cell.submission_id)
    _apply_totals(submission)
    submission.save(update_fields=["raw_total", "total", "needs_manual"])
    # the learning record gets the new total (and completion once no cell waits)
    xapi.exercise_graded(
        submission=submission,
        passed=completion.submission_outcome(submission).passed,
        at=timezone.now(),
    )
    _refresh_summary(submission.exercise_id, submission.student_id)
    exercise_outcome_publish(exercise=submission.exercise, student=submission.student)
    return cell


def requeue_stuck_submissions(
    *,
    older_than_seconds: int | None = None,
    queued_longer_than_seconds: int | None = None,
    broker_emptied_at: datetime | None = None,
) -> int:
    """Send again what never reached the broker, what the broker lost and what a dead
    worker left. Beat runs this every `GRADING_SWEEP_SECONDS` (5 s).

    - QUEUED and never sent (`sent_at` empty) for `GRADING_RESEND_AFTER` seconds: the
      broker was down when it was queued, or the process died between the commit and the
      send. Sent as soon as the broker is back: seconds, not minutes.
    - QUEUED, sent longer than `GRADING_REQUEUE_QUEUED_AFTER` (10 min) ago: the broker lost
      the message (or a long backlog, where a second message is harmless).
    - QUEUED, sent before `broker_emptied_at` (grading.queue.broker_emptied_at): the broker
      came back empty (a Redis restarted without persistence) and forgot it. Sent again as
      soon as the broker is back, as one that was never sent.
    - RUNNING with its lease past: its worker died (kill -9, a lost machine); the lease is
      renewed every few seconds by a live one (`_lease`).
    - RUNNING without a lease (claimed before leases existed) for longer than the hard
      time limit.

    Grading is idempotent: whichever message comes first grades the submission, a second
    one finds it graded, or held under another worker's live lease (`_claim`)."""
    now = timezone.now()
    running_limit = older_than_seconds or (settings.CELERY_TASK_TIME_LIMIT + 60)
    queued_limit = queued_longer_than_seconds or settings.GRADING_REQUEUE_QUEUED_AFTER
    queued = Submission.objects.filter(status=Submission.Status.QUEUED)
    running = Submission.objects.filter(status=Submission.Status.RUNNING)
    unsent = queued.filter(
        sent_at__isnull=True,
        submitted_at__lt=now - timezone.timedelta(seconds=settings.GRADING_RESEND_AFTER),
    )
    lost = queued.filter(sent_at__lt=now - timezone.timedelta(seconds=queued_limit))
    if broker_emptied_at is not None:
        lost = lost | queued.filter(sent_at__lt=broker_emptied_at)
    dead = running.filter(lease_until__lt=now)
    unleased = running.filter(
        lease_until__isnull=True, started_at__lt=now - timezone.timedelta(seconds=running_limit)
    )
    pks = sorted(
        {pk for rows in (unsent, lost, dead, unleased) for pk in rows.values_list("pk", flat=True)}
    )
    sent = 0
    # priority as interactive: these students have waited long enough
    for pk in pks:
        sent += queue.submission_grading_send(submission_id=pk, priority=queue.INTERACTIVE_PRIORITY)
    if pks:
        log.warning("re-queued %d submission(s) stuck in grading (%d sent)", len(pks), sent)
    return len(pks)
