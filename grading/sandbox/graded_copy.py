"""One kernel for both runs of a hidden-test exercise: the graded copy, forked at the
first hidden test.

A submission to an exercise with hidden tests is run twice (``grading.notebook.pipeline``):
the *student run* of the student version, whose outputs are all a student ever reads, and
the *grading run* with the hidden tests restored, whose scores count. Both runs execute the
same cells up to the first cell that differs (the first test with a hidden part), so this
module runs that prefix once:

1. the prefix runs in the kernel as usual (cells on the kernel's own socket, direct.py),
   its outputs going to both notebooks;
2. a fork request on that socket makes a copy of the kernel: it holds everything the
   prefix built, and waits on a socket of its own in the kernel's directory;
3. the rest of the student version runs in the kernel; the student run is then over and
   its outputs final;
4. only then does the grader connect to the copy and send it the rest of the graded
   notebook, hidden tests included, one cell at a time. The copy serves cells as the
   kernel does (direct.py: ``shell.run_cell``, the same parent header, input refused,
   ipykernel's own messages and the execute reply), read as a kernel's
   (``_GradedRunner``).

Why it is as safe as two kernels: hidden-test source reaches the copy only after the
student run's outputs are final, and nothing the grader reads of the kernel afterwards
(it never reads its socket again); the copy's own messages go into the graded notebook,
of which only scores and statuses reach a student, as before. Both processes are the same
sandbox, uid and limits: the copy is as untrusted as the kernel. What they share is
accounted: the memory guard counts the kernel's own memory at the fork once more while
both live (``shared_mb``), so pages they share are never free. Timeouts are the grader's:
an interrupt is a request on the socket, turned by the copy into the SIGINT an interrupt
request is in a kernel; a copy that does not stop in time is killed with its sandbox.

When the copy cannot be had, nothing is lost but time: the caller grades the graded
notebook in a fresh kernel, as before (`run_pair_in_kernel` returns no graded result):
threads started by the notebook (they would not exist in the copy), a fork refused (the
process limit), a copy that did not start, or a kernel that died before the graded part.

Differences from a fresh kernel, documented: the copy's working directory and ``/tmp`` are
the kernel's, so a file written by a student cell after the first hidden test is there
when the graded copy reaches that cell; tasks a cell left scheduled on the kernel's event
loop do not run in the copy.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time

from nbformat import NotebookNode

from grading.notebook.types import CellExecution, ExecutionEnv, ExecutionResult, SandboxLimits

from . import direct, runtimes
from .bubblewrap import DEFAULT_LIMITS, SandboxedKernel
from .execute import (
    _NotebookRunner,
    _run_sync,
    async_execute_notebook,
    sandbox_or_allowed,
)

log = logging.getLogger("grading.sandbox")

# --------------------------------------------------------------------------------------------
# Both runs in one kernel
# --------------------------------------------------------------------------------------------


def execute_notebook_pair(
    student_nb: NotebookNode,
    graded_nb: NotebookNode,
    *,
    limits: SandboxLimits = DEFAULT_LIMITS,
    allow_unsandboxed: bool = False,
    env: ExecutionEnv | None = None,
) -> tuple[ExecutionResult, ExecutionResult]:
    """`execute.execute_notebook` for both runs of a hidden-test exercise: the student
    run and the grading run, in one fresh kernel when a graded copy can be had, else in two
    (module docstring)."""
    sandboxed = sandbox_or_allowed(allow_unsandboxed)
    runtime = runtimes.get(env.runtime if env else "")
    return _run_sync(
        async_execute_pair(
            student_nb, graded_nb, limits=limits, sandboxed=sandboxed, env=env, runtime=runtime
        )
    )


async def async_execute_pair(
    student_nb: NotebookNode,
    graded_nb: NotebookNode,
    *,
    limits: SandboxLimits = DEFAULT_LIMITS,
    sandboxed: bool = True,
    env: ExecutionEnv | None = None,
    runtime: runtimes.Runtime | None = None,
) -> tuple[ExecutionResult, ExecutionResult]:
    """Start a kernel for the two runs, run them, and kill it; the grading run in a
    kernel of its own when there is no graded copy."""
    started = time.monotonic()
    kernel = SandboxedKernel(limits, runtime=runtime, sandboxed=sandboxed)
    try:
        await kernel.start()
        shown, graded = await run_pair_in_kernel(
            student_nb, graded_nb, kernel, limits=limits, env=env
        )
    finally:
        await kernel.shutdown()
    if graded is None:
        graded = await async_execute_notebook(
            graded_nb, limits=limits, sandboxed=sandboxed, env=env, runtime=runtime
        )
    return dataclasses.replace(shown, duration_s=time.monotonic() - started), graded


def common_prefix(student_nb: NotebookNode, graded_nb: NotebookNode) -> int:
    """The index of the first cell where the two notebooks differ as code to run (the
    first test with a hidden part); every code cell before it is the same in both."""
    for index, (shown, graded) in enumerate(zip(student_nb.cells, graded_nb.cells, strict=False)):
        if shown.cell_type != graded.cell_type:
            return index
        if shown.cell_type == "code" and _source(shown) != _source(graded):
            return index
    return min(len(student_nb.cells), len(graded_nb.cells))


def _source(cell: NotebookNode) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


async def run_pair_in_kernel(
    student_nb: NotebookNode,
    graded_nb: NotebookNode,
    kernel: SandboxedKernel,
    *,
    limits: SandboxLimits | None = None,
    env: ExecutionEnv | None = None,
) -> tuple[ExecutionResult, ExecutionResult | None]:
    """The student run of ``student_nb`` and the grading run of ``graded_nb`` in one
    already started, never used kernel (module docstring). The graded result is None when
    no graded copy could be had: the caller then runs ``graded_nb`` in a fresh kernel.
    The caller owns the kernel and shuts it down afterwards."""
    started = time.monotonic()
    limits = limits or kernel.limits
    file_names = kernel.put_files(dict(env.files)) if env and env.files else []
    runner = _NotebookRunner(_cleared(student_nb), kernel, limits, file_names)
    graded: _GradedRunner | None = None
    try:
        await runner.set_up_kernel()
        split = common_prefix(runner.nb, graded_nb)
        deadline = started + limits.notebook_timeout_s
        prefix, stop = await runner.run(0, split, deadline=deadline)
        graded = _GradedRunner(_cleared(graded_nb), runner, split)
        if stop:  # before the first hidden test: the grading run would stop there too
            return (
                _result(runner.nb, prefix + _not_run(runner.nb, split), stop, kernel, started),
                _result(graded.nb, prefix + _not_run(graded.nb, split), stop, kernel, started),
            )
        prefix_s = time.monotonic() - started
        path = await _fork(runner, kernel)
        suffix, stop = await runner.run(split, deadline=deadline)
        shown = _result(runner.nb, prefix + suffix, stop, kernel, started)
        # The student run is over: only now may hidden tests reach a process.
        if path is None or stop or not await kernel.is_alive():
            return shown, None
        try:
            graded._socket = await direct.connect(path)
        except OSError as exc:
            log.info("no graded copy (%s); grading in a fresh kernel", exc)
            return shown, None
        graded.shared_mb, graded._anon_at_start = runner.shared_mb, runner._anon_at_start
        graded_deadline = time.monotonic() + max(0.0, limits.notebook_timeout_s - prefix_s)
        graded_cells, graded_stop = await graded.run(split, deadline=graded_deadline)
        return shown, _result(graded.nb, prefix + graded_cells, graded_stop, kernel, started)
    finally:
        # The kernel goes last: its copy lives in its sandbox.
        if graded is not None:
            graded.close()
        runner.close()


def _cleared(nb: NotebookNode) -> NotebookNode:
    """A copy without outputs: those of a submission are the student's claims."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def _not_run(nb: NotebookNode, start: int) -> list[CellExecution]:
    return [
        CellExecution(index=index, status="not_run")
        for index, cell in enumerate(nb.cells)
        if index >= start and cell.cell_type == "code"
    ]


def _result(
    nb: NotebookNode, cells: list[CellExecution], stop: str, kernel: SandboxedKernel, started
) -> ExecutionResult:
    return ExecutionResult(
        notebook=nb,
        cells=tuple(cells),
        error=stop,
        sandboxed=kernel.sandboxed,
        duration_s=time.monotonic() - started,
    )


async def _fork(runner: _NotebookRunner, kernel: SandboxedKernel) -> str | None:
    """Fork the kernel into a graded copy that waits on its socket; returns the socket's
    path on the grader's side, or None (and why, in the log) if there is no copy."""
    paths = kernel.copy_socket("graded")
    if paths is None or runner._socket is None:
        return None
    inside, outside = paths
    before_anon = kernel.anon_memory_mb()
    own_mb = _own_memory_mb(runner, kernel, before_anon)
    why = await runner.fork_copy(inside)
    if why:
        log.info("no graded copy (%s); grading in a fresh kernel", why)
        return None
    # From now on two processes hold the kernel's pages: count them once more, and measure
    # the cheap way from here.
    runner.shared_mb = own_mb
    runner._anon_at_start += kernel.anon_memory_mb() - before_anon
    return outside


#: Memory a fresh kernel of each runtime (with or without its preloaded modules) has of its
#: own before any cell, measured exactly once per grading process (an exact measure walks
#: every page table: ~10 ms).
_KERNEL_OWN_MB: dict[tuple[str, tuple[str, ...]], float] = {}


def _own_memory_mb(runner: _NotebookRunner, kernel: SandboxedKernel, anon_mb: float) -> float:
    """What the kernel has of its own as it is forked (private to neither process after
    the fork): a fresh kernel's own memory and what its cells allocated since."""
    grown = max(0.0, anon_mb - runner._anon_at_start)
    kind = (kernel.runtime.name, kernel.preloaded)
    base = _KERNEL_OWN_MB.get(kind)
    if base is None:
        base = _KERNEL_OWN_MB[kind] = max(0.0, kernel.memory_mb() - grown)
    return base + grown


# --------------------------------------------------------------------------------------------
# The grader's side of the copy
# --------------------------------------------------------------------------------------------


class _GradedRunner(_NotebookRunner):
    """Runs the rest of the graded notebook in the copy, over its socket; outputs, markers,
    limits and judgement are the kernel runner's (`_NotebookRunner`)."""

    def __init__(self, nb: NotebookNode, student: _NotebookRunner, split: int) -> None:
        super().__init__(nb, student.kernel, student.limits, student.file_names)
        self.token, self.dropped_token = student.token, student.dropped_token
        # its memory baseline is the kernel's as of the fork: set when it connects
        # The prefix ran once for both: its outputs and what they used of the budget.
        for index in range(min(split, len(nb.cells))):
            if nb.cells[index].cell_type == "code":
                nb.cells[index].outputs = copy.deepcopy(student.nb.cells[index].outputs)
                nb.cells[index].execution_count = student.nb.cells[index].execution_count
        self._output_bytes = student._output_bytes
        self._truncated_cells = {i for i in student._truncated_cells if i < split}

    async def _settle(self, wait: float = 1.0) -> None:
        return  # the copy ends alone, its sandbox lives on; its reason is never shown
