"""Run every code cell of a notebook in a sandboxed kernel and report honestly what happened.

The kernel runs student code, so nothing it says is trusted blindly:

* A cell's status comes from the kernel's ``execute_reply`` (not from the outputs, which a
  student can suppress: a test cell that raised is "error" even when the traceback display
  was monkeypatched away).
* A reply saying "ok" must be backed by a **completion marker**: a per-run random token that
  an AST transformer, installed before any student code, makes every cell print as its very
  last action. A cell whose exception was swallowed by a patched ``run_cell``/``run_code``,
  or whose reply was forged by patching the kernel's reply sending, never reaches its end, so
  the marker is missing and the cell is reported as an error. The marker is removed from the
  outputs, and display semantics are unchanged (the last expression is wrapped, not followed).
  It is written through the stream the kernel had before any student code, so redirecting
  ``sys.stdout`` does not lose it; removing the transformer fails closed (later cells error).
* The grader enforces wall-clock limits itself (per cell, per notebook), watches the kernel
  process (a dead kernel means every later cell is "not_run", never "ok"), caps the output it
  keeps and the size of the messages it accepts, and always kills the sandbox at the end.

Once set up, the kernel serves cells on a socket of its own (``direct.py``): the same
messages ipykernel publishes, without a trip through its IOPub thread per message; a kernel
that cannot serve goes on over ZeroMQ. Everything below holds either way.

Residual risk, documented rather than hidden: the kernel is one process that the student
controls once their first cell has run. A student who reads the token out of the
transformer's closure and prints it from a patched ``run_cell`` after a failing cell, or who
crafts signed Jupyter messages with the session key from the kernel's memory, can still
forge "ok". That takes deliberate, targeted work against this grader (it is not a one-line
``sys.excepthook`` trick), the source of the attacking cell is in the stored submission, and
the only remedy is running each test outside the student's process, which nbgrader-style
notebooks (tests share the student's namespace) do not allow. Comparable forgery (objects
whose ``__eq__`` always returns True) needs no kernel tricks at all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import json
import logging
import secrets
import signal
import socket
import time
from typing import Any

import zmq
import zmq.asyncio
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbformat import NotebookNode
from nbformat.v4 import new_output

from grading.notebook import i18n
from grading.notebook.i18n import gettext as _
from grading.notebook.types import CellExecution, ExecutionEnv, ExecutionResult, SandboxLimits
from grading.sandbox import direct, runtimes
from grading.sandbox.bubblewrap import (
    DEFAULT_LIMITS,
    MAX_MESSAGE_BYTES,
    KernelStartError,
    SandboxedKernel,
    SandboxUnavailable,
    bubblewrap_available,
)

log = logging.getLogger("grading.sandbox")

__all__ = [
    "KernelStartError",
    "SandboxUnavailable",
    "async_execute_notebook",
    "execute_notebook",
    "run_notebook_in_kernel",
]

#: After a timed-out cell is interrupted, how long it may take to stop before the kernel is
#: killed (and the rest of the notebook is not run).
INTERRUPT_GRACE_S = 2.0
#: After a cell's reply arrives, how long to wait at least for its last outputs (IOPub is a
#: separate socket, so the "idle" status that ends a cell trails the reply a little).
IDLE_GRACE_S = 1.0
#: How often the kernel process is checked while waiting for messages.
POLL_INTERVAL_S = 0.1
#: Time allowed for the silent set-up request that installs the completion marker.
SETUP_TIMEOUT_S = 15.0
#: How often the sandbox's resident memory is measured against its limit while a cell runs.
MEMORY_CHECK_INTERVAL_S = 0.05
#: How often the exact (and costlier) measure is taken while a cell runs.
MEMORY_EXACT_INTERVAL_S = 1.0
#: ... and while the cheap measure is near the limit (a fork bomb of data-science kernels
#: would otherwise have every one of its page tables walked every 50 ms).
MEMORY_NEAR_INTERVAL_S = 0.1

#: Runs silently in the fresh kernel, before any notebook cell; see the module docstring.
#: ``pre_run_cell`` arms the transformer so only the cell itself is instrumented, not code
#: that magics such as %timeit compile while the cell runs.
#: It also caps what stdout/stderr forward. ipykernel buffers a stream without bound between
#: two flushes (0.2 s), so ``while True: print(...)`` would build messages of hundreds of MB
#: in the kernel; with the cap, the kernel stops forwarding a little past the notebook's
#: output limit. The cap is a courtesy to honest notebooks, not a defence (student code can
#: undo it); the grader enforces the limit itself and drops oversized messages. For the
#: same reason IPython (>= 9) is stopped from keeping a copy of every printed byte in its
#: output history, which nothing in grading reads.
_KERNEL_SETUP = r"""
def _grader_install(complete_token, dropped_token, stream_budget, files_dir, file_names):
    import ast, sys
    shell = get_ipython()

    class KeepNothing(dict):
        def __missing__(self, key):
            return []

        def __contains__(self, key):
            return False

    if hasattr(shell.history_manager, "outputs"):
        shell.history_manager.outputs = KeepNothing()
    shell._grader_streams = (sys.stdout, sys.stderr)  # ipykernel's, for a graded copy

    armed = [False]
    kernel_stdout = sys.stdout  # ipykernel's stream; student code may rebind sys.stdout
    write_stdout, flush_stdout = kernel_stdout.write, kernel_stdout.flush
    left = [stream_budget]
    told = set()  # streams and execution counts that already said "dropped"

    def mark(value=None):
        # If sys.stdout was rebound, ipykernel no longer tells its stream which request is
        # running, nor flushes it before replying: do both, or the marker would be lost.
        kernel_stdout.set_parent(shell.get_parent())
        write_stdout(complete_token)
        flush_stdout()
        return value

    def capped(write, name):
        def capped_write(text):
            if not isinstance(text, str):
                return write(text)  # let the stream raise its TypeError
            kept = text[: max(left[0], 0)]
            left[0] -= len(kept)
            if kept:
                write(kept)
            if len(kept) < len(text) and (name, shell.execution_count) not in told:
                told.add((name, shell.execution_count))
                write(dropped_token)
            return len(text)
        return capped_write

    sys.stdout.write = capped(sys.stdout.write, "stdout")
    sys.stderr.write = capped(sys.stderr.write, "stderr")

    def call(args, where):
        name = ast.Name(id="__grader_mark__", ctx=ast.Load())
        return ast.copy_location(ast.Call(func=name, args=args, keywords=[]), where)

    class CompletionMarker(ast.NodeTransformer):
        def visit_Module(self, node):
            if not armed[0]:
                return node
            armed[0] = False
            shell.user_ns["__grader_mark__"] = mark
            if node.body and isinstance(node.body[-1], ast.Expr):
                last = node.body[-1]
                last.value = call([last.value], last.value)
            else:
                where = node.body[-1] if node.body else ast.Pass(
                    lineno=1, col_offset=0, end_lineno=1, end_col_offset=0)
                node.body.append(ast.copy_location(ast.Expr(value=call([], where)), where))
            return ast.fix_missing_locations(node)

    def arm(*args):
        armed[0] = True

    shell.events.register("pre_run_cell", arm)
    shell.ast_transformers.append(CompletionMarker())
    shell.user_ns_hidden["__grader_mark__"] = mark

    import os
    for name in file_names:  # the exercise's data files: read-only, linked into the cwd
        if not os.path.lexists(name):
            os.symlink(os.path.join(files_dir, name), name)

_grader_install(%s, %s, %d, %s, %s)
del _grader_install
"""


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def execute_notebook(
    nb: NotebookNode,
    *,
    limits: SandboxLimits = DEFAULT_LIMITS,
    allow_unsandboxed: bool = False,
    env: ExecutionEnv | None = None,
) -> ExecutionResult:
    """Execute a copy of ``nb`` in a fresh sandboxed kernel; ``nb`` itself is not changed.

    Without a usable bubblewrap this raises ``SandboxUnavailable``, unless
    ``allow_unsandboxed`` (local development only) says to run the kernel without isolation;
    the result then says ``sandboxed=False``. ``KernelStartError`` means the kernel could not
    start at all: an infrastructure failure to retry, not a result to store.
    """
    sandboxed = sandbox_or_allowed(allow_unsandboxed)
    runtime = runtimes.get(env.runtime if env else "")
    return _run_sync(
        async_execute_notebook(nb, limits=limits, sandboxed=sandboxed, env=env, runtime=runtime)
    )


def sandbox_or_allowed(allow_unsandboxed: bool) -> bool:
    """Whether a sandbox is usable here; without one, SandboxUnavailable unless running
    without one is allowed (local development only, said loudly in the log)."""
    sandboxed = bubblewrap_available()
    if not sandboxed:
        if not allow_unsandboxed:
            raise SandboxUnavailable(
                "bubblewrap (bwrap) is not usable here; student code is never run without a "
                "sandbox unless allow_unsandboxed=True (local development only)"
            )
        log.warning(
            "RUNNING STUDENT CODE WITHOUT A SANDBOX: bubblewrap is not usable on this "
            "machine and allow_unsandboxed=True. The notebook can read and change anything "
            "this process can. Never do this with real submissions."
        )
    return sandboxed


async def async_execute_notebook(
    nb: NotebookNode,
    *,
    limits: SandboxLimits = DEFAULT_LIMITS,
    sandboxed: bool = True,
    env: ExecutionEnv | None = None,
    runtime: runtimes.Runtime | None = None,
) -> ExecutionResult:
    """Start a kernel for this notebook alone, run it, and kill the kernel."""
    started = time.monotonic()
    if runtime is None:
        runtime = runtimes.get(env.runtime if env else "")
    kernel = SandboxedKernel(limits, runtime=runtime, sandboxed=sandboxed)
    try:
        await kernel.start()
        result = await run_notebook_in_kernel(nb, kernel, limits=limits, env=env)
    finally:
        await kernel.shutdown()
    duration = time.monotonic() - started
    return ExecutionResult(
        notebook=result.notebook,
        cells=result.cells,
        error=result.error,
        sandboxed=sandboxed,
        duration_s=duration,
    )


async def run_notebook_in_kernel(
    nb: NotebookNode,
    kernel: SandboxedKernel,
    *,
    limits: SandboxLimits | None = None,
    env: ExecutionEnv | None = None,
) -> ExecutionResult:
    """Run a copy of ``nb`` in an already started, never used kernel (warm pools start here).

    ``limits`` defaults to the kernel's own (its rlimits were fixed when it started; the
    wall-clock and output limits are the grader's and can differ). The caller owns the
    kernel and must shut it down afterwards: a kernel that ran student code is never reused.
    """
    started = time.monotonic()
    file_names = kernel.put_files(dict(env.files)) if env and env.files else []
    runner = _NotebookRunner(copy.deepcopy(nb), kernel, limits or kernel.limits, file_names)
    try:
        await runner.set_up_kernel()
        cells, error = await runner.run()
    finally:
        runner.close()
    return ExecutionResult(
        notebook=runner.nb,
        cells=tuple(cells),
        error=error,
        sandboxed=kernel.sandboxed,
        duration_s=time.monotonic() - started,
    )


def _run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, i18n.carry(coro)).result()


# --------------------------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------------------------


class _NotebookRunner(NotebookClient):
    """Drives one kernel through one notebook.

    Reuses nbclient's translation of IOPub messages into notebook outputs (streams, display
    data and updates, clear_output) but not its execution loop, which cannot interrupt a cell
    and carry on, treats timeouts as exceptions that leave its output poller running, and
    keeps every byte a kernel sends.
    """

    def __init__(
        self,
        nb: NotebookNode,
        kernel: SandboxedKernel,
        limits: SandboxLimits,
        file_names: list[str] | None = None,
    ):
        super().__init__(
            nb, km=kernel.km, store_widget_state=False, allow_errors=True, record_timing=False
        )
        assert kernel.client is not None, "start the kernel first"
        self.kc = kernel.client
        self.kernel = kernel
        self.limits = limits
        secret = secrets.token_hex(16)
        self.token = f"<<grader-cell-complete-{secret}>>"
        self.dropped_token = f"<<grader-output-dropped-{secret}>>"
        # Synchronous views of the client's sockets: draining with non-blocking reads keeps
        # the loop simple; waiting is still done by the asyncio poller.
        self._shell = zmq.Socket.shadow(self.kc.shell_channel.socket.underlying)
        self._iopub = zmq.Socket.shadow(self.kc.iopub_channel.socket.underlying)
        self._session = self.kc.session
        self._output_bytes = 0  # output kept so far, over the whole notebook
        self._truncated_cells: set[int] = set()
        self._marker_seen = False
        self.file_names = list(file_names or [])  # top-level data files to link into the cwd
        self.memory_exceeded_mb: float | None = None  # set when the memory guard killed it
        self._memory_checked_at = time.monotonic()
        self._memory_exact_at = time.monotonic()
        self._anon_at_start = 0.0  # the kernel's own anonymous memory before any cell
        # While a graded copy (graded_copy.py) shares the kernel's pages, what the kernel had
        # of its own when it was forked: private to neither, still memory of the sandbox.
        self.shared_mb = 0.0
        # Once the kernel serves on a socket of its own (direct.py), cells go there.
        self._socket: socket.socket | None = None
        self._buffer = bytearray()
        self._id_prefix, self._requests = secrets.token_hex(4), 0

    # -- set-up ---------------------------------------------------------------------------

    async def set_up_kernel(self) -> None:
        """Install the completion marker and the stream cap (see _KERNEL_SETUP), and make
        the kernel serve cells on a socket of its own (direct.py) where it can: one request.

        Sent as a user expression of an empty request, because IPython evaluates those
        outside ``run_cell``: inside it, IPython (>= 9) swaps ``sys.stdout.write`` for the
        duration of the cell and would throw the cap away when the cell ends. A kernel that
        serves never answers the request (its main thread stays in the serving loop): the
        socket it listens on is the answer. One that cannot serve answers, and cells go over
        ZeroMQ; one whose set-up failed answers with the error.
        """
        # A little over the limit, so the grader still sees the overflow and says so.
        stream_budget = self.limits.output_bytes + 1024
        source = _KERNEL_SETUP % (
            json.dumps(self.token),
            json.dumps(self.dropped_token),
            stream_budget,
            json.dumps(self.kernel.files_path_inside()),
            json.dumps(self.file_names),
        )
        paths = self.kernel.copy_socket("kernel")
        expression = f"exec({source!r})"
        if paths is not None:
            expression += " or " + direct.serve_expression(paths[0])
        msg_id = self.kc.execute(
            "",
            silent=True,
            store_history=False,
            allow_stdin=False,
            user_expressions={"setup": expression},
        )
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        if paths is None:
            reply = await self._collect(msg_id, None, -1, until=deadline, keep_outputs=False)
        else:
            reply = await self._serving_or_reply(msg_id, paths[1], deadline)
        if reply is _DIED:
            raise KernelStartError(f"the kernel died during set-up{self.kernel.stderr_tail()}")
        if reply is None:
            raise KernelStartError("the kernel did not answer the set-up request")
        if reply is not _SERVING:
            setup = reply["content"].get("user_expressions", {}).get("setup", {})
            if reply["content"].get("status") != "ok" or setup.get("status") != "ok":
                raise KernelStartError(f"the kernel set-up failed: {reply['content']}")
            if paths is not None:
                why = setup.get("data", {}).get("text/plain", "")
                log.warning(
                    "the kernel could not serve on its socket (%s); cells go over ZeroMQ", why
                )
        self._anon_at_start = self.kernel.anon_memory_mb()
        self._memory_checked_at = self._memory_exact_at = time.monotonic()

    async def _serving_or_reply(self, msg_id: str, outside: str, deadline: float) -> Any:
        """_SERVING once connected to the kernel's socket; else its reply to the set-up
        request, _DIED, or None when time ran out."""
        delay = 0.001
        while time.monotonic() < deadline:
            for msg in self._drain(self._shell):
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return msg  # it answered: the set-up failed, or it cannot serve
            # not bound yet, or bound and not yet listening
            with contextlib.suppress(FileNotFoundError, ConnectionRefusedError):
                self._socket = await direct.connect(outside)
                self.kernel.copy_dir_writable(False)  # bound: no student code writes there
                return _SERVING
            if not await self.kernel.is_alive():
                return _DIED
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)
        return None

    # -- the notebook ---------------------------------------------------------------------

    async def run(
        self, start: int = 0, end: int | None = None, *, deadline: float | None = None
    ) -> tuple[list[CellExecution], str]:
        """Every code cell in order (of ``nb.cells[start:end]``); after a stop, the
        remaining cells are "not_run"."""
        cells: list[CellExecution] = []
        stop = ""
        if deadline is None:
            deadline = time.monotonic() + self.limits.notebook_timeout_s
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code" or index < start or (end is not None and index >= end):
                continue
            # Outputs and counts in the input are the student's claims, not this run's.
            cell.outputs = []
            cell.execution_count = None
            if not isinstance(cell.source, str):  # a list of lines, as on disk
                cell.source = "".join(cell.source)
            if stop:
                cells.append(CellExecution(index=index, status="not_run"))
            elif not cell.source.strip():
                cells.append(CellExecution(index=index, status="ok"))  # nothing to run
            elif deadline <= time.monotonic():
                stop = self._notebook_timeout()
                cells.append(CellExecution(index=index, status="not_run"))
            else:
                execution, stop = await self._run_cell(index, cell, deadline)
                cells.append(execution)
        return cells, stop

    def _notebook_timeout(self) -> str:
        return _("The notebook exceeded its %(seconds)g s time limit") % {
            "seconds": self.limits.notebook_timeout_s
        }

    # -- one cell -------------------------------------------------------------------------

    async def _run_cell(
        self, index: int, cell: NotebookNode, notebook_deadline: float
    ) -> tuple[CellExecution, str]:
        """Execute one cell. Returns its execution and, if the notebook must stop, why."""
        self._marker_seen = False
        self.clear_before_next_output = False
        msg_id = await self._execute(cell.source)
        cell_deadline = time.monotonic() + self.limits.cell_timeout_s
        until = min(cell_deadline, notebook_deadline)
        reply = await self._collect(msg_id, cell, index, until=until)
        if reply is _DIED:
            await self._settle()
            reason = self._death_reason()
            return self._failed(cell, index, "error", "DeadKernelError", reason), (
                # counted from 1, as a reader counts cells from the top
                _("%(reason)s while running cell %(index)d")
                % {"reason": reason, "index": index + 1}
            )
        if reply is not None:
            return self._judge(index, cell, reply), ""

        if notebook_deadline < cell_deadline:  # the notebook's limit struck first
            reason = self._notebook_timeout()
            return self._failed(cell, index, "timeout", "TimeoutError", reason), reason
        reason = _("The cell exceeded its %(seconds)g s time limit") % {
            "seconds": self.limits.cell_timeout_s
        }
        execution = self._failed(cell, index, "timeout", "TimeoutError", reason)
        # Interrupt it and carry on with the next cell, as nbgrader does, if it stops in time.
        await self._interrupt(msg_id)
        grace = min(time.monotonic() + INTERRUPT_GRACE_S, notebook_deadline)
        late = await self._collect(msg_id, cell, index, until=grace, keep_outputs=False)
        if late is None or late is _DIED:
            return execution, (
                _(
                    "Cell %(index)d did not finish within its %(seconds)g s time limit and did "
                    "not respond to an interrupt; the kernel was stopped"
                )
                % {"index": index + 1, "seconds": self.limits.cell_timeout_s}
            )
        return execution, ""

    async def _execute(self, source: str) -> str:
        """Send one cell to the kernel; returns the request's id."""
        if self._socket is not None:
            msg_id = self._next_id()
            await self._send({"code": source, "msg_id": msg_id})
            return msg_id
        return self.kc.execute(source, store_history=True, allow_stdin=False, stop_on_error=False)

    def _next_id(self) -> str:
        """A request's id on the kernel's socket: unique in this run, and cheap."""
        self._requests += 1
        return f"{self._id_prefix}-{self._requests}"

    async def _interrupt(self, msg_id: str) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                await self._send({"interrupt": msg_id})
            return
        self.kernel.interrupt()

    # -- a socket of the kernel's own (direct.py) -------------------------------------------

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def _send(self, request: dict[str, Any]) -> None:
        assert self._socket is not None
        data = json.dumps(request).encode() + b"\n"
        await asyncio.get_running_loop().sock_sendall(self._socket, data)

    async def _receive(self, wait: float) -> list[tuple[bytes, list[bytes]]]:
        """The complete messages that arrived within ``wait`` seconds; EOFError when the
        kernel is gone or sends more than a kernel may."""
        assert self._socket is not None
        loop = asyncio.get_running_loop()
        try:
            data = await asyncio.wait_for(loop.sock_recv(self._socket, 1 << 16), wait)
        except TimeoutError:
            return []
        except OSError:
            data = b""
        if not data:
            raise EOFError
        self._buffer += data
        messages = []
        while True:
            message, used = direct.parse(self._buffer)
            if message is None:
                break
            del self._buffer[:used]
            messages.append(message)
        if len(self._buffer) > MAX_MESSAGE_BYTES:
            raise EOFError
        return messages

    async def fork_copy(self, inside: str) -> str:
        """Ask the serving kernel to fork a copy that waits on ``inside``; "" once it does,
        else why not."""
        msg_id = self._next_id()
        # The copy's socket is bound (by the kernel, before it forks) in a directory the
        # student's uid may write to only until it says so: ``b"b"``.
        self.kernel.copy_dir_writable(True)
        try:
            return await self._fork_outcome(msg_id, inside)
        finally:
            self.kernel.copy_dir_writable(False)

    async def _fork_outcome(self, msg_id: str, inside: str) -> str:
        try:
            await self._send({"fork": inside, "msg_id": msg_id})
        except OSError as exc:
            return str(exc)
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                received = await self._receive(POLL_INTERVAL_S)
            except EOFError:
                return "the kernel ended"
            for kind, frames in received:
                if kind not in (b"b", b"f") or len(frames) != 1:
                    continue
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    outcome = json.loads(frames[0])
                    if outcome.get("msg_id") != msg_id:
                        continue
                    if kind == b"b":
                        self.kernel.copy_dir_writable(False)
                        continue
                    return str(outcome.get("why", "")) if outcome.get("why") else ""
        return "no answer"

    async def _collect_direct(
        self, msg_id: str, cell: NotebookNode | None, index: int, until: float, keep: bool
    ) -> Any:
        """`_collect` over the socket: the reply comes after every output of the cell, on
        the same stream. None if ``until`` passed without one, _DIED if the kernel (or the
        copy, or their sandbox) ended."""
        while True:
            now = time.monotonic()
            if now - self._memory_checked_at >= MEMORY_CHECK_INTERVAL_S:
                self._memory_checked_at = now
                if self._memory_exceeded():
                    return _DIED
            if now >= until:
                return None
            wait = min(until - now, POLL_INTERVAL_S, MEMORY_CHECK_INTERVAL_S)
            try:
                received = await self._receive(wait)
            except EOFError:
                return _DIED
            if not received and not await self.kernel.is_alive():
                return _DIED
            for kind, frames in received:
                try:
                    _identities, signed = self._session.feed_identities(frames)
                    msg = self._session.deserialize(signed)
                except Exception as exc:  # the kernel is untrusted: never let it crash us
                    log.debug("dropped an unreadable kernel message: %s", exc)
                    continue
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if kind == b"r" and msg.get("msg_type") == "execute_reply":
                    return msg
                if kind == b"o":
                    self._on_iopub(msg, cell, index, keep)

    def _judge(self, index: int, cell: NotebookNode, reply: dict[str, Any]) -> CellExecution:
        """The kernel's reply, believed only as far as the completion marker backs it."""
        content = reply.get("content")
        content = content if isinstance(content, dict) else {}
        count = content.get("execution_count")
        if isinstance(count, int):
            cell.execution_count = count
        status = content.get("status")
        if status == "error":
            ename = str(content.get("ename", ""))[:200]
            evalue = str(content.get("evalue", ""))[:2000]
            return CellExecution(index=index, status="error", ename=ename, evalue=evalue)
        if status == "aborted":
            return CellExecution(index=index, status="aborted")
        if status == "ok" and self._marker_seen:
            return CellExecution(index=index, status="ok")
        # "ok" without the marker, or a status no honest kernel sends.
        return self._failed(
            cell,
            index,
            "error",
            "IncompleteExecutionError",
            _(
                "The cell reported success but did not run to its end (the notebook may have "
                "tampered with the kernel)"
            ),
        )

    def _failed(
        self, cell: NotebookNode, index: int, status: str, ename: str, evalue: str
    ) -> CellExecution:
        """A CellExecution the grader decided, explained in the cell for the feedback."""
        traceback = [f"{ename}: {evalue}"]
        cell.outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=traceback))
        return CellExecution(index=index, status=status, ename=ename, evalue=evalue)

    def _memory_exceeded(self) -> bool:
        """The memory guard: what the sandbox's processes use of their own against the
        limit; over it, the whole sandbox is killed at once.

        Every MEMORY_CHECK_INTERVAL_S, the cheap measure: the growth of anonymous memory
        since the kernel started. It counts a fork of the kernel with all the pages it
        shares with its parent, so it only decides when to take the exact measure (private
        resident memory and swap of every process, also counting pages copied on write):
        every MEMORY_EXACT_INTERVAL_S, and as often as every MEMORY_NEAR_INTERVAL_S while
        the cheap one is near the limit. Only the exact measure kills."""
        if self.memory_exceeded_mb is not None:
            return True
        limit = self.limits.memory_mb
        cheap = self.kernel.anon_memory_mb() - self._anon_at_start
        since = time.monotonic() - self._memory_exact_at
        near = cheap > 0.8 * limit
        if not (since >= MEMORY_EXACT_INTERVAL_S or (near and since >= MEMORY_NEAR_INTERVAL_S)):
            return False
        self._memory_exact_at = time.monotonic()
        used = self.kernel.memory_mb() + self.shared_mb
        if used <= limit:
            return False
        self.memory_exceeded_mb = used
        log.info("memory limit of %d MB exceeded (%.0f MB)", limit, used)
        self.kernel.kill_now()
        return True

    async def _settle(self, wait: float = 1.0) -> None:
        """A kernel's socket can end a moment before its sandbox: wait that moment, so
        the reason has the exit status (a CPU limit, a crash)."""
        if self._socket is None:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and await self.kernel.is_alive():
            await asyncio.sleep(0.01)

    def _death_reason(self) -> str:
        if self.memory_exceeded_mb is not None:
            return _("The kernel was stopped: memory limit of %(limit)d MB exceeded") % {
                "limit": self.limits.memory_mb
            }
        code = self.kernel.exit_status()
        if code is None:
            return _("The kernel died")
        signum = code - 128 if code > 128 else -code if code < 0 else 0
        if signum == signal.SIGXCPU:
            return _("The kernel died (CPU time limit of %(seconds)s s exceeded)") % {
                "seconds": self.limits.cpu_seconds
            }
        if signum == signal.SIGKILL:  # RLIMIT_CPU's hard limit, or the kernel's OOM killer
            return _("The kernel died (killed: CPU time limit or out of memory)")
        if signum:
            try:
                name = signal.Signals(signum).name
            except ValueError:
                name = _("signal %(number)d") % {"number": signum}
            return _("The kernel died (it crashed with %(signal)s; memory limit?)") % {
                "signal": name
            }
        return _("The kernel died (its process exited with status %(status)d)") % {"status": code}

    # -- messages -------------------------------------------------------------------------

    async def _collect(
        self,
        msg_id: str,
        cell: NotebookNode | None,
        index: int,
        *,
        until: float,
        keep_outputs: bool = True,
    ) -> Any:
        """Read messages for ``msg_id`` until both its reply and its IOPub "idle" are in.

        Returns the reply, None if ``until`` passed without one, or _DIED if the kernel's
        process ended. Once the reply is in, "idle" (the last outputs and the completion
        marker travel on IOPub, a separate socket) gets IDLE_GRACE_S after the reply or after
        the latest IOPub message, whichever is later, but never past ``until``: a kernel
        whose IOPub went silent costs a second, not a whole cell time limit.
        """
        if self._socket is not None:
            return await self._collect_direct(msg_id, cell, index, until, keep_outputs)
        poller = zmq.asyncio.Poller()
        poller.register(self.kc.shell_channel.socket, zmq.POLLIN)
        poller.register(self.kc.iopub_channel.socket, zmq.POLLIN)
        reply: dict[str, Any] | None = None
        idle = False
        idle_until = until
        while reply is None or not idle:
            now = time.monotonic()
            if now - self._memory_checked_at >= MEMORY_CHECK_INTERVAL_S:
                self._memory_checked_at = now
                if self._memory_exceeded():
                    return _DIED
            end = until if reply is None else min(idle_until, until)
            if now >= end:
                break
            wait = min(end - now, POLL_INTERVAL_S, MEMORY_CHECK_INTERVAL_S)
            events = await poller.poll(int(wait * 1000) + 1)
            if not events and not await self.kernel.is_alive():
                return _DIED
            for msg in self._drain(self._iopub):
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue  # e.g. a background thread of an earlier cell still printing
                idle = self._on_iopub(msg, cell, index, keep_outputs) or idle
                idle_until = time.monotonic() + IDLE_GRACE_S
            for msg in self._drain(self._shell):
                if (
                    reply is None
                    and msg.get("parent_header", {}).get("msg_id") == msg_id
                    and msg.get("msg_type") == "execute_reply"
                ):
                    reply = msg
                    idle_until = time.monotonic() + IDLE_GRACE_S
                    until = max(until, idle_until)
        return reply

    def _drain(self, socket: zmq.Socket) -> list[dict[str, Any]]:
        """Every message waiting on a socket; unreadable or badly signed ones are dropped."""
        messages = []
        while True:
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return messages
            try:
                _identities, signed = self._session.feed_identities(frames)
                messages.append(self._session.deserialize(signed))
            except Exception as exc:  # the kernel is untrusted: never let it crash us
                log.debug("dropped an unreadable kernel message: %s", exc)

    def _on_iopub(
        self, msg: dict[str, Any], cell: NotebookNode | None, index: int, keep_outputs: bool
    ) -> bool:
        """Turn one IOPub message into outputs; True when it is the cell's "idle"."""
        content = msg.get("content")
        if msg.get("msg_type") == "status" and isinstance(content, dict):
            return content.get("execution_state") == "idle"
        if not keep_outputs or cell is None:
            return False
        try:
            self.process_message(msg, cell, index)
        except CellExecutionComplete:
            return True
        except Exception as exc:
            log.debug("dropped a malformed IOPub message: %s", exc)
        return False

    # -- outputs (nbclient hooks) ---------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        """Strip the grader's tokens, then keep what fits: a rich output (a figure, a table)
        bigger than ``output_item_bytes`` shrinks to its text, or to nothing, with a notice
        in its place (`_fit_item`); the big data never counts against the notebook's budget,
        so what comes after it is still kept. All that is kept fits ``output_bytes``.
        Streams and errors are held to the notebook's budget only."""
        content = msg.get("content") or {}
        text = content.get("text")
        dropped = False  # the kernel's stream cap already dropped some of this cell's output
        if msg.get("msg_type") == "stream" and isinstance(text, str):
            if self.token in text and content.get("name") == "stdout":
                self._marker_seen = True
                text = text.replace(self.token, "")
            if self.dropped_token in text:
                dropped = True
                text = text.replace(self.dropped_token, "")
            content["text"] = text
        notice = self._fit_item(content) if msg.get("msg_type") in _RICH_OUTPUTS else ""
        out = None
        size = _output_size(content)
        room = self.limits.output_bytes - self._output_bytes
        if content.get("text") == "":
            pass  # nothing left once the tokens are gone
        elif notice and not content.get("data"):
            pass  # nothing of it fits in one output: the notice stands for it
        elif size <= room:
            self._output_bytes += size
            out = super().output(outs, msg, display_id, cell_index)
        else:
            if msg.get("msg_type") == "stream" and room > 0:
                content["text"] = _cut_utf8(str(content.get("text", "")), room)
                super().output(outs, msg, display_id, cell_index)
            self._output_bytes = self.limits.output_bytes
            dropped = True
        if notice and not dropped:
            dropped = not self._note_item(outs, notice, cell_index)
        if dropped:
            self._note_truncation(outs, cell_index)
        return out

    def _fit_item(self, content: dict[str, Any]) -> str:
        """Shrink a rich output bigger than ``output_item_bytes``, in place: to its
        ``text/plain`` alone if that fits (a DataFrame's text, a figure's "<Figure ...>"),
        else to no data at all. Returns the notice that says so, or "" if it fits whole."""
        size = _output_size(content)
        limit = self.limits.output_item_bytes
        if size <= limit:
            return ""
        data = content.get("data")
        data = data if isinstance(data, dict) else {}
        text = data.get("text/plain")
        fits = isinstance(text, str) and _output_size({"data": {"text/plain": text}}) <= limit
        content["data"] = {"text/plain": text} if fits else {}
        content["metadata"] = {}
        return _item_notice(data, size, limit, as_text=fits and len(data) > 1)

    def _note_item(self, outs: list[NotebookNode], notice: str, cell_index: int) -> bool:
        """Put `notice` where an output too big to keep was; False if even it does not fit
        in what is left of the notebook's budget."""
        text = f"{notice}\n"
        size = _output_size({"text": text})
        if size > self.limits.output_bytes - self._output_bytes:
            return False
        if self.clear_before_next_output:  # clear_output(wait=True): as for any output
            outs[:] = []
            self.clear_display_id_mapping(cell_index)
            self.clear_before_next_output = False
        self._output_bytes += size
        outs.append(new_output("stream", name="stderr", text=text))
        return True

    def _note_truncation(self, outs: list[NotebookNode], cell_index: int) -> None:
        """Say once per cell, in the cell, that output was dropped."""
        if cell_index not in self._truncated_cells:
            self._truncated_cells.add(cell_index)
            note = _("[output truncated: the notebook's output exceeded %(limit)s bytes]") % {
                "limit": f"{self.limits.output_bytes:,}"
            }
            note = f"\n{note}\n"
            outs.append(new_output("stream", name="stderr", text=note))

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        """Replace the data of the outputs shown under `display_id` (``display(...,
        display_id=...)`` and its ``update()``): shrunk like any output too big for one
        (`_fit_item`, the notice then in the text, since no output can be added here), and
        only if what it adds to those outputs fits in the notebook's budget."""
        shown = [
            self.nb.cells[cell_index].outputs[output_index]
            for cell_index, indices in self._display_id_map.get(display_id, {}).items()
            for output_index in indices
        ]
        if not shown:
            return
        content = dict(msg.get("content") or {})  # the message itself may still be shown
        notice = self._fit_item(content)
        if notice:
            text = content["data"].get("text/plain")
            content["data"] = {"text/plain": f"{text}\n{notice}" if text else notice}
        growth = sum(_output_size(content) - _output_size(output) for output in shown)
        if growth <= self.limits.output_bytes - self._output_bytes:
            super()._update_display_id(display_id, {**msg, "content": content})
            self._output_bytes = max(0, self._output_bytes + growth)

    def handle_comm_msg(self, outs, msg, cell_index):
        return None  # widget state is not graded and would be unbounded memory


_DIED: Any = object()  # _collect's answer when the kernel's process is gone
_SERVING: Any = object()  # the set-up's answer when the kernel serves on its socket


#: The outputs that carry rich data (figures, tables) and are held to output_item_bytes.
_RICH_OUTPUTS = frozenset({"display_data", "execute_result"})


def _output_size(content: dict[str, Any]) -> int:
    """Bytes an output adds to the notebook (text, rich data and its metadata, traceback)."""
    size = 0
    text = content.get("text")
    if isinstance(text, str):
        size += len(text.encode("utf-8", "surrogatepass"))
    data = content.get("data")
    if isinstance(data, dict):
        for value in data.values():
            size += len(value) if isinstance(value, str) else len(json.dumps(value, default=str))
    metadata = content.get("metadata")
    if isinstance(metadata, dict) and metadata:
        size += len(json.dumps(metadata, default=str))
    traceback = content.get("traceback")
    if isinstance(traceback, list):
        size += sum(len(str(line)) for line in traceback)
    return size


def _item_notice(data: dict[str, Any], size: int, limit: int, *, as_text: bool) -> str:
    """What stands in for an output bigger than one output may be."""
    sizes = {"size": _human_size(size), "limit": _human_size(limit)}
    html = data.get("text/html")
    if any(str(mimetype).startswith("image/") for mimetype in data):
        return (
            _("[figure of %(size)s not shown: larger than the %(limit)s limit of one output]")
            % sizes
        )
    if isinstance(html, str) and "<table" in html:
        if as_text:
            return (
                _(
                    "[table of %(size)s shown as text only: larger than the %(limit)s limit "
                    "of one output]"
                )
                % sizes
            )
        return (
            _("[table of %(size)s not shown: larger than the %(limit)s limit of one output]")
            % sizes
        )
    return (
        _("[output of %(size)s not shown: larger than the %(limit)s limit of one output]") % sizes
    )


def _human_size(size: int) -> str:
    """2.3 MB, 400 KB, 512 bytes (decimal units, as the limits are written)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.0f} KB"
    return f"{size} bytes"


def _cut_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")
