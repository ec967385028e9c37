"""The whole grading of a notebook: parse -> sanitize -> execute -> score (-> feedback).

The executor is a parameter, always given by the caller: the machine-dependent execution
(bubblewrap, kernels, the warm pool) lives in grading.sandbox, which this package never
imports, so everything here stays pure and tests run it with a fake kernel. A source
parsed once when it was stored can be passed as `spec`; it is parsed here otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbformat import NotebookNode

from .errors import NotebookError
from .feedback import render_feedback_html
from .i18n import gettext as _
from .metadata import SourceSpec, parse_source
from .release import release
from .results import NotebookResult
from .sanitize import sanitize
from .score import score
from .types import Executor, SandboxLimits

DEFAULT_LIMITS = SandboxLimits()


@dataclass(frozen=True)
class GradedNotebook:
    """A result with its feedback page: what a grading worker stores.

    The executed notebook itself is not part of it: it contains the hidden tests.
    """

    result: NotebookResult
    feedback_html: str


@dataclass(frozen=True)
class SourceValidation:
    """Whether a source notebook can be published, and why not."""

    ok: bool
    problems: tuple[str, ...]
    solution_result: NotebookResult | None = None  # the source run as it is
    student_result: NotebookResult | None = None  # the released version run unchanged


def grade_notebook(
    source_nb: NotebookNode,
    submission_nb: NotebookNode,
    *,
    executor: Executor,
    limits: SandboxLimits = DEFAULT_LIMITS,
    allow_unsandboxed: bool = False,
    spec: SourceSpec | None = None,
) -> NotebookResult:
    """Grade a submission against its source.

    Raises `NotebookError` for a broken source. What the executor raises (no sandbox on
    this machine, a kernel that would not start) passes through: those are failures of
    the grading machine, to retry, not results to store.
    """
    result, _executed = _grade(source_nb, submission_nb, executor, limits, allow_unsandboxed, spec)
    return result


def grade_with_feedback(
    source_nb: NotebookNode,
    submission_nb: NotebookNode,
    *,
    executor: Executor,
    limits: SandboxLimits = DEFAULT_LIMITS,
    allow_unsandboxed: bool = False,
    spec: SourceSpec | None = None,
) -> GradedNotebook:
    """Like `grade_notebook`, and render the student's feedback page from the same run."""
    result, executed = _grade(source_nb, submission_nb, executor, limits, allow_unsandboxed, spec)
    return GradedNotebook(result, render_feedback_html(source_nb, executed, result))


def validate_source(
    source_nb: NotebookNode,
    *,
    executor: Executor,
    limits: SandboxLimits = DEFAULT_LIMITS,
    allow_unsandboxed: bool = False,
) -> SourceValidation:
    """Check a teacher's notebook before students get it.

    Its metadata must be sound; run as it is, the solution must earn full marks on
    every autograded test; and the student version, run unchanged, must run to the end
    and earn nothing on them, or a test does not test the student's work.
    """
    try:
        spec = parse_source(source_nb)
    except NotebookError as exc:
        return SourceValidation(ok=False, problems=exc.problems)
    if not spec.cells:
        return SourceValidation(ok=False, problems=(_("The notebook has no graded cells."),))

    def run(submission: NotebookNode) -> NotebookResult:
        result, _executed = _grade(source_nb, submission, executor, limits, allow_unsandboxed, spec)
        return result

    solution, student = run(source_nb), run(release(source_nb, checked=True))
    problems = (*_solution_problems(solution), *_student_problems(student, spec))
    return SourceValidation(
        ok=not problems, problems=problems, solution_result=solution, student_result=student
    )


def _grade(
    source_nb: NotebookNode,
    submission_nb: NotebookNode,
    executor: Executor,
    limits: SandboxLimits,
    allow_unsandboxed: bool,
    spec: SourceSpec | None,
) -> tuple[NotebookResult, NotebookNode]:
    spec = spec if spec is not None else parse_source(source_nb)
    sanitized = sanitize(source_nb, submission_nb)
    execution = executor(sanitized.notebook, limits=limits, allow_unsandboxed=allow_unsandboxed)
    return score(spec, sanitized, execution), execution.notebook


def _solution_problems(solution: NotebookResult) -> list[str]:
    problems = []
    if solution.error:
        problems.append(
            _("With the solution, execution stopped early: %(reason)s.")
            % {"reason": solution.error}
        )
    for cell in solution.cells:
        if cell.score is not None and cell.score < cell.max_score:
            problem = _(
                "With the solution, cell '%(grade_id)s' scores %(score)g of %(points)g."
            ) % {"grade_id": cell.grade_id, "score": cell.score, "points": cell.max_score}
            problems.append(f"{problem} {cell.message}".rstrip())
    return problems


def _student_problems(student: NotebookResult, spec: SourceSpec) -> list[str]:
    problems = []
    if student.error:
        problems.append(
            _("The student version does not run to the end: %(reason)s.")
            % {"reason": student.error}
        )
    tests = {cell.grade_id for cell in spec.tests}
    for cell in student.cells:
        if cell.grade_id in tests and cell.score:
            problems.append(
                _(
                    "Test '%(grade_id)s' gives %(score)g of %(points)g points to the student "
                    "version before any answer is written; it should fail until then."
                )
                % {"grade_id": cell.grade_id, "score": cell.score, "points": cell.max_score}
            )
    return problems
