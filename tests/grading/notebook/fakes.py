"""A stand-in for the sandboxed kernel, for tests of everything around execution.

`FakeKernel` runs code cells with ``exec`` in one namespace, in this process, and
reports each cell as the real executor does: an execute_reply status per code cell, the
last expression as an execute_result, prints as a stream, exceptions as an error output.
Like IPython it keeps the input history in ``In``, so tests can play a student who
prints it. Only for notebooks the tests themselves wrote.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import traceback
from dataclasses import dataclass, field

from nbformat import NotebookNode

from grading.notebook.types import CellExecution, ExecutionResult, SandboxLimits

from .builders import error, result, stream


@dataclass
class FakeKernel:
    """Callable like `execute_notebook`; remembers the notebook it was given.

    `stop_before` simulates a kernel that dies before that cell index: that cell and
    the following code cells are reported "not_run" and `error` says why.
    """

    stop_before: int | None = None
    stop_reason: str = "the kernel died"
    received: list[NotebookNode] = field(default_factory=list)

    def __call__(
        self,
        nb: NotebookNode,
        *,
        limits: SandboxLimits,
        allow_unsandboxed: bool = False,
        env=None,
    ) -> ExecutionResult:
        self.received.append(copy.deepcopy(nb))
        executed = copy.deepcopy(nb)
        namespace: dict = {"__name__": "__main__", "In": []}
        replies = []
        stopped = False
        for index, cell in enumerate(executed.cells):
            if cell.cell_type != "code":
                continue
            stopped = stopped or index == self.stop_before
            if stopped:
                replies.append(CellExecution(index, "not_run"))
                continue
            namespace["In"].append(cell.source)
            cell.outputs, reply = _run(cell.source, namespace, index)
            replies.append(reply)
        return ExecutionResult(
            notebook=executed,
            cells=tuple(replies),
            error=self.stop_reason if stopped else "",
            sandboxed=False,
        )


def _run(source: str, namespace: dict, index: int) -> tuple[list, CellExecution]:
    outputs: list = []
    printed = io.StringIO()
    try:
        module = ast.parse(source)
        last = module.body.pop() if module.body and isinstance(module.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(printed):
            exec(compile(module, f"<cell {index}>", "exec"), namespace)  # noqa: S102
            value = (
                eval(compile(ast.Expression(last.value), f"<cell {index}>", "eval"), namespace)  # noqa: S307
                if last
                else None
            )
    except Exception as exc:  # a cell's exception is the cell's result, as in a kernel
        if printed.getvalue():
            outputs.append(stream(printed.getvalue()))
        lines = traceback.format_exception(exc)
        outputs.append(error(type(exc).__name__, str(exc), lines))
        return outputs, CellExecution(index, "error", type(exc).__name__, str(exc))
    if printed.getvalue():
        outputs.append(stream(printed.getvalue()))
    if value is not None:
        outputs.append(result(repr(value)))
    return outputs, CellExecution(index, "ok")
