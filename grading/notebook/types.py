"""Data shared between the pipeline's steps (execution <-> scoring), and the `Executor`
protocol that grading.sandbox implements: the one thing the pure pipeline needs from the
machine, passed in by its caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one submission's kernel. Safe defaults; set per exercise."""

    memory_mb: int = 512  # resident memory of the whole sandbox (all its processes)
    cpu_seconds: int = 60  # CPU time of the kernel process tree
    processes: int = 32  # tasks the sandboxed uid may run at once
    open_files: int = 256  # file descriptors per process
    file_size_mb: int = 16  # largest file the kernel may write
    scratch_mb: int = 64  # size of the private writable scratch directory
    cell_timeout_s: float = 30.0  # wall-clock per cell (nbgrader's default)
    notebook_timeout_s: float = 120.0  # wall-clock for the whole notebook
    output_bytes: int = 1_000_000  # total output kept from the notebook
    output_item_bytes: int = 400_000  # largest single output (a figure, a table) kept whole

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SandboxLimits:
        data = data or {}
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data and data[k] is not None}
        return cls(**known)


@dataclass(frozen=True)
class CellExecution:
    """What the kernel said about one code cell (from its execute_reply, not the notebook)."""

    index: int  # position of the cell in the executed notebook
    status: str  # "ok" | "error" | "timeout" | "not_run" | "aborted"
    ename: str = ""  # exception class name when status is "error"
    evalue: str = ""  # exception message when status is "error"


@dataclass(frozen=True)
class ExecutionResult:
    """The executed notebook plus the kernel's own account of each code cell."""

    notebook: Any  # nbformat.NotebookNode with outputs (truncated to the output limit)
    cells: tuple[CellExecution, ...] = field(default_factory=tuple)
    error: str = ""  # why execution stopped early ("kernel died", "notebook timeout"), or ""
    sandboxed: bool = True  # False only in explicitly allowed unsandboxed development mode
    duration_s: float = 0.0  # wall-clock of the execution step

    def cell(self, index: int) -> CellExecution | None:
        for c in self.cells:
            if c.index == index:
                return c
        return None


@dataclass(frozen=True)
class ExecutionEnv:
    """Where a notebook runs besides its limits: the runtime (the named, read-only Python
    environment of grading/runtimes/) and the exercise's data files, laid read-only in
    the kernel's working directory under their relative paths."""

    runtime: str = ""  # a runtime's name; "" is the default runtime
    files: Mapping[str, bytes] = field(default_factory=dict)  # relative path -> content


class Executor(Protocol):
    """Runs every code cell of a notebook and reports what the kernel said about each.

    grading.sandbox provides the real ones (a warm pool's kernel, or a cold sandboxed
    one); tests pass a fake. A real one also has ``execute_pair(student_nb, graded_nb,
    ...)``: the student run and the grading run of a hidden-test exercise, in that order,
    in one kernel (grading.sandbox.graded_copy). Raises what the machine raises (no
    sandbox here, a kernel that would not start): failures of the grading machine, to
    retry, not results to store.
    """

    def __call__(
        self,
        nb: Any,
        *,
        limits: SandboxLimits,
        allow_unsandboxed: bool = False,
        env: ExecutionEnv | None = None,
    ) -> ExecutionResult: ...
