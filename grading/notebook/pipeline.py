"""The whole grading of a notebook: parse -> sanitize -> execute -> score (-> feedback).

The executor is a parameter, always given by the caller: the machine-dependent execution
(bubblewrap, kernels, the warm pool) lives in grading.sandbox, which this package never
imports, so everything here stays pure and tests run it with a fake kernel. A source
parsed once when it was stored can be passed as `spec`; it is parsed here otherwise.

Hidden tests stay hidden by construction, not by redaction. They run in the student's
kernel, where the student's code can copy them (the input history, the calling frame, a
patched ``run_cell``) into anything it prints or raises, in any encoding. So a source with
hidden tests runs each submission twice, in two fresh kernels: the *student run* executes
the student version (the answers, the locked cells and the tests as released, without a
line of hidden-test source) and the *grading run* the notebook with the hidden tests
restored. Scores and pass/fail come from the grading run, everything a student reads
from the student run: outputs, tracebacks and exception texts (feedback page and
messages), in which no hidden-test source ever was. Of the grading run only scores and
statuses reach the student, under sentences the grader writes itself (`score`). The
student run goes first and is over, its outputs final, before the grading run starts:
nothing the grading kernel does can reach them. A source without hidden tests runs once,
as the student version: that run is both. An executor with ``execute_pair`` runs the two
in one kernel (grading.sandbox.graded_copy): the cells both runs share run once, and the
kernel is forked at the first hidden test into a graded copy that is given the hidden
tests only once the student run is over; same order, same guarantee.

A test's hint (`hints`: grade_id -> text, written by the teacher) is the only thing said
about a hidden test's failure besides its name; it ends the message of any failed test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nbformat import NotebookNode

from . import markers
from .errors import NotebookError
from .feedback import render_feedback_html
from .i18n import gettext as _
from .i18n import ngettext, plural_count
from .metadata import SourceSpec, parse_source
from .release import release
from .results import FirstFailure, NotebookResult
from .sanitize import SanitizedNotebook, sanitize, sanitize_student_version
from .score import score
from .types import ExecutionEnv, Executor, SandboxLimits

DEFAULT_LIMITS = SandboxLimits()


@dataclass(frozen=True)
class GradedNotebook:
    """A result with its feedback page: what a grading worker stores, all of it for the
    student: scores from the grading run, the rest from the student run (module docstring).
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
    env: ExecutionEnv | None = None,
    hints: Mapping[str, str] | None = None,
) -> NotebookResult:
    """Grade a submission against its source.

    Raises `NotebookError` for a broken source. What the executor raises (no sandbox on
    this machine, a kernel that would not start) passes through: those are failures of
    the grading machine, to retry, not results to store.
    """
    return _grade(source_nb, submission_nb, executor, limits, allow_unsandboxed, spec, env, hints)[
        0
    ]


def grade_with_feedback(
    source_nb: NotebookNode,
    submission_nb: NotebookNode,
    *,
    executor: Executor,
    limits: SandboxLimits = DEFAULT_LIMITS,
    allow_unsandboxed: bool = False,
    spec: SourceSpec | None = None,
    env: ExecutionEnv | None = None,
    hints: Mapping[str, str] | None = None,
) -> GradedNotebook:
    """Like `grade_notebook`, and render the student's feedback page from the student run."""
    result, shown = _grade(
        source_nb, submission_nb, executor, limits, allow_unsandboxed, spec, env, hints
    )
    return GradedNotebook(result, render_feedback_html(source_nb, shown, result))


def validate_source(
    source_nb: NotebookNode,
    *,
    executor: Executor,
    limits: SandboxLimits = DEFAULT_LIMITS,
    allow_unsandboxed: bool = False,
    env: ExecutionEnv | None = None,
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
        # One run each, its messages quoting itself: this report is for the teacher, who
        # wrote the hidden tests.
        sanitized = sanitize(source_nb, submission)
        execution = executor(
            sanitized.notebook, limits=limits, allow_unsandboxed=allow_unsandboxed, env=env
        )
        return score(spec, sanitized, execution)

    solution, student = run(source_nb), run(release(source_nb, checked=True))
    problems = (
        *_solution_problems(solution),
        *_student_problems(student, spec, solution.first_failure),
    )
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
    env: ExecutionEnv | None,
    hints: Mapping[str, str] | None = None,
) -> tuple[NotebookResult, NotebookNode]:
    """The result for the student and the executed student version (module docstring)."""
    spec = spec if spec is not None else parse_source(source_nb)

    def execute(nb: NotebookNode):
        return executor(nb, limits=limits, allow_unsandboxed=allow_unsandboxed, env=env)

    student = sanitize_student_version(source_nb, submission_nb)
    if not any(markers.has_hidden_tests(cell.source) for cell in source_nb.cells):
        shown = execute(student.notebook)  # the grading run too: nothing is hidden
        return score(spec, student, shown, hints=hints), shown.notebook
    sanitized = sanitize(source_nb, submission_nb)
    _check_same_places(sanitized, student)
    pair = getattr(executor, "execute_pair", None)
    if pair is not None:  # one kernel, forked at the first hidden test, in the same order
        shown, execution = pair(
            student.notebook,
            sanitized.notebook,
            limits=limits,
            allow_unsandboxed=allow_unsandboxed,
            env=env,
        )
    else:
        shown = execute(student.notebook)  # first: final before hidden tests are in a kernel
        execution = execute(sanitized.notebook)
    return score(spec, sanitized, execution, explained_by=shown, hints=hints), shown.notebook


def _check_same_places(sanitized: SanitizedNotebook, student: SanitizedNotebook) -> None:
    """The student run explains the grading run cell by cell, so their cells must line up."""
    if student.positions != sanitized.positions or len(student.notebook.cells) != len(
        sanitized.notebook.cells
    ):
        raise RuntimeError("the student version and the graded notebook do not line up")


#: Failures of a set-up cell that no missing answer explains: the runtime lacks a module,
#: a data file is missing, the code does not compile, memory ran out or the kernel died.
ENVIRONMENT_ERRORS = frozenset(
    {"ModuleNotFoundError", "ImportError", "FileNotFoundError", "SyntaxError"}
    | {"IndentationError", "TabError", "MemoryError"}
)


def _first_failure_problem(first: FirstFailure, sentence: str) -> str:
    """`sentence` naming the cell that failed first, with what fixes the usual causes."""
    detail = first.detail.rstrip(".")
    problem = sentence % {"number": first.number, "name": first.name, "detail": detail}
    if first.ename == "ModuleNotFoundError":
        hint = _("The exercise's runtime does not have this module: choose a runtime that has it.")
    elif first.ename == "FileNotFoundError":
        hint = _("Add the file to the exercise's data files, beside the notebook.")
    else:
        return problem
    return f"{problem} {hint}"


def _solution_problems(solution: NotebookResult) -> list[str]:
    problems = []
    first = solution.first_failure
    failed = any(cell.score is not None and cell.score < cell.max_score for cell in solution.cells)
    if first is not None and (failed or solution.error):
        # Named first: the tests failing after it are most likely its consequence.
        problems.append(
            _first_failure_problem(
                first, _("With the solution, cell %(number)d (%(name)s) failed first: %(detail)s.")
            )
        )
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


def _student_problems(
    student: NotebookResult, spec: SourceSpec, with_solution: FirstFailure | None
) -> list[str]:
    problems = []
    first = student.first_failure
    # Answer cells raise NotImplementedError until answered, and what depends on them
    # fails too; a missing module or file, code that does not compile or memory running
    # out are the student version's own fault, unless the solution fails the same way
    # (said above when it matters).
    if first is not None and first.ename in ENVIRONMENT_ERRORS and first != with_solution:
        problems.append(
            _first_failure_problem(
                first,
                _(
                    "In the student version as handed out, cell %(number)d (%(name)s) failed "
                    "first: %(detail)s."
                ),
            )
        )
    if student.error:
        problems.append(
            _("The student version does not run to the end: %(reason)s.")
            % {"reason": student.error}
        )
    tests = {cell.grade_id for cell in spec.tests}
    for cell in student.cells:
        if cell.grade_id in tests and cell.score:
            problems.append(
                ngettext(
                    "Test '%(grade_id)s' gives %(score)g of %(points)g point to the student "
                    "version before any answer is written; it should fail until then.",
                    "Test '%(grade_id)s' gives %(score)g of %(points)g points to the student "
                    "version before any answer is written; it should fail until then.",
                    plural_count(cell.max_score),
                )
                % {"grade_id": cell.grade_id, "score": cell.score, "points": cell.max_score}
            )
    return problems
