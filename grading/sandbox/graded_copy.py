"""One kernel for both runs of a hidden-test exercise: the graded copy, forked at the
first hidden test.

A submission to an exercise with hidden tests is run twice (``grading.notebook.pipeline``):
the *student run* of the student version, whose outputs are all a student ever reads, and
the *grading run* with the hidden tests restored, whose scores count. Both runs execute the
same cells up to the first cell that differs (the first test with a hidden part), so this
module runs that prefix once:

1. the prefix runs in the kernel as usual, its outputs going to both notebooks;
2. a silent request forks the kernel (``_FORK``): the copy holds everything the prefix
   built, and waits on a Unix socket in the kernel's own directory;
3. the rest of the student version runs in the kernel; the student run is then over and
   its outputs final;
4. only then does the grader connect to the copy and send it the rest of the graded
   notebook, hidden tests included, one cell at a time. The copy runs each cell in
   IPython as the kernel does (``shell.run_cell``, the same parent header, input refused)
   and sends back, over the socket, the very messages ipykernel would have published
   (streams, displays, results, errors, the completion marker) and the execute reply, which
   the grader reads as it reads a kernel's (``_GradedRunner``).

Why it is as safe as two kernels: hidden-test source reaches the copy only after the
student run's outputs are final, and nothing the grader reads of the kernel afterwards
(it never reads its sockets again); the copy's own messages go into the graded notebook,
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

import asyncio
import contextlib
import copy
import dataclasses
import json
import logging
import os
import socket
import stat
import struct
import time
import uuid
from typing import Any

from nbformat import NotebookNode

from grading.notebook.types import CellExecution, ExecutionEnv, ExecutionResult, SandboxLimits

from . import runtimes
from .bubblewrap import DEFAULT_LIMITS, MAX_MESSAGE_BYTES, SandboxedKernel
from .execute import (
    _DIED,
    MEMORY_CHECK_INTERVAL_S,
    POLL_INTERVAL_S,
    SETUP_TIMEOUT_S,
    _NotebookRunner,
    _run_sync,
    async_execute_notebook,
    sandbox_or_allowed,
)

log = logging.getLogger("grading.sandbox")

#: How long the kernel waits for its copy to be ready before it gives up on it.
FORK_READY_S = 10.0

#: Runs silently in the kernel once the prefix has run. The copy never returns from it.
_FORK = r"""
def _grader_fork(path, ready_s, threads_at_setup):
    import os, select, signal, threading
    if threading.active_count() > threads_at_setup:
        raise RuntimeError("the notebook started threads, which a copy would not have")
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(ready_w)
        ok = bool(select.select([ready_r], [], [], ready_s)[0]) and os.read(ready_r, 1) == b"1"
        os.close(ready_r)
        if not ok:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            raise RuntimeError("the graded copy did not start")
        return pid
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the kernel's interrupts are not ours
        os.close(ready_r)
        _grader_serve(path, ready_w)
    finally:
        os._exit(0)


def _grader_serve(path, ready_w):
    import asyncio, json, os, queue, signal, socket, struct, sys, threading
    shell = get_ipython()
    kernel = shell.kernel
    me = os.getpid()
    # This process has one thread: ipykernel's IOPub thread is gone, so what it would send
    # is sent from here, to the grader; locks another thread held at the fork are remade.
    for stream in (*getattr(shell, "_grader_streams", ()), sys.stdout, sys.stderr):
        if hasattr(stream, "_buffer_lock"):
            stream._buffer_lock = threading.RLock()
    for owner in (kernel, shell.displayhook, shell.display_pub, sys.stdout, sys.stderr):
        session = getattr(owner, "session", None)
        if session is not None:
            session.pid = me
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    os.write(ready_w, b"1")
    os.close(ready_w)
    conn = server.accept()[0]
    server.close()
    sending = threading.Lock()

    def send(kind, frames):
        parts = [kind, struct.pack("!I", len(frames))]
        for frame in frames:
            frame = bytes(frame)
            parts += [struct.pack("!I", len(frame)), frame]
        with sending:
            conn.sendall(b"".join(parts))

    kernel.iopub_thread._really_send = lambda msg, *args, **kwargs: send(b"o", msg)
    requests = queue.SimpleQueue()
    running = [None]

    def read():
        buffer = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                requests.put(None)
                return
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                if "interrupt" in request:
                    if request["interrupt"] == running[0]:
                        os.kill(me, signal.SIGINT)
                else:
                    requests.put(request)

    threading.Thread(target=read, daemon=True).start()
    asyncio.events._set_running_loop(None)  # IPython awaits top-level code on a loop of its own
    while True:
        request = requests.get()
        if request is None:
            return
        code = request["code"]
        parent = kernel.session.msg("execute_request", content={
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False})
        parent["header"]["msg_id"] = request["msg_id"]
        kernel.set_parent([b"grader"], parent, "shell")
        kernel._forward_input(False)
        running[0] = request["msg_id"]
        result = None
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            result = shell.run_cell(code, store_history=True, silent=False)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            running[0] = None
            kernel._restore_input()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        if result is None:
            content = {"status": "error", "ename": "KeyboardInterrupt", "evalue": ""}
        else:
            error = result.error_before_exec
            error = error if error is not None else result.error_in_exec
            if result.success and not getattr(shell, "_last_traceback_during_displayhook", False):
                content = {"status": "ok"}
            else:
                content = {"status": "error", "ename": type(error).__name__, "evalue": str(error)}
        content["execution_count"] = shell.execution_count - 1
        reply = kernel.session.msg("execute_reply", content=content, parent=parent)
        send(b"r", kernel.session.serialize(reply, ident=[b"grader"]))


_grader_fork(%s, %s, %d)
"""


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
        try:
            await graded.connect(path)
        except OSError as exc:
            log.info("no graded copy (%s); grading in a fresh kernel", exc)
            return shown, None
        graded_deadline = time.monotonic() + max(0.0, limits.notebook_timeout_s - prefix_s)
        graded_cells, graded_stop = await graded.run(split, deadline=graded_deadline)
    finally:
        graded.close()
    return shown, _result(graded.nb, prefix + graded_cells, graded_stop, kernel, started)


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
    paths = kernel.graded_copy_socket()
    if paths is None or runner.threads_at_setup <= 0:
        return None
    inside, outside = paths
    before_anon = kernel.anon_memory_mb()
    own_mb = kernel.memory_mb()
    source = _FORK % (json.dumps(inside), FORK_READY_S, runner.threads_at_setup)
    msg_id = runner.kc.execute(
        "",
        silent=True,
        store_history=False,
        allow_stdin=False,
        user_expressions={"fork": f"exec({source!r})"},
    )
    until = time.monotonic() + SETUP_TIMEOUT_S
    reply = await runner._collect(msg_id, None, -1, until=until, keep_outputs=False)
    forked = reply not in (None, _DIED) and isinstance(reply.get("content"), dict)
    outcome = reply["content"].get("user_expressions", {}).get("fork", {}) if forked else {}
    if not forked or reply["content"].get("status") != "ok" or outcome.get("status") != "ok":
        why = (outcome.get("evalue") if forked else "") or "no answer"
        log.info("no graded copy (%s); grading in a fresh kernel", why)
        return None
    # From now on two processes hold the kernel's pages: count them once more, and measure
    # the cheap way from here.
    runner.shared_mb = own_mb
    runner._anon_at_start += kernel.anon_memory_mb() - before_anon
    return outside


# --------------------------------------------------------------------------------------------
# The grader's side of the copy
# --------------------------------------------------------------------------------------------


class _GradedRunner(_NotebookRunner):
    """Runs the rest of the graded notebook in the copy, over its socket; outputs, markers,
    limits and judgement are the kernel runner's (`_NotebookRunner`)."""

    def __init__(self, nb: NotebookNode, student: _NotebookRunner, split: int) -> None:
        super().__init__(nb, student.kernel, student.limits, student.file_names)
        self.token, self.dropped_token = student.token, student.dropped_token
        self._anon_at_start = student._anon_at_start
        self.threads_at_setup = student.threads_at_setup
        # The prefix ran once for both: its outputs and what they used of the budget.
        for index in range(min(split, len(nb.cells))):
            if nb.cells[index].cell_type == "code":
                nb.cells[index].outputs = copy.deepcopy(student.nb.cells[index].outputs)
                nb.cells[index].execution_count = student.nb.cells[index].execution_count
        self._output_bytes = student._output_bytes
        self._truncated_cells = {i for i in student._truncated_cells if i < split}
        self._student = student
        self._socket: socket.socket | None = None
        self._buffer = bytearray()

    async def connect(self, path: str) -> None:
        """Connect to the copy's socket, never following what the student may have put in
        its place (a symlink to a socket of the host): only a socket, opened as it is."""
        self.shared_mb = self._student.shared_mb
        self._anon_at_start = self._student._anon_at_start
        fd = os.open(path, os.O_PATH | os.O_NOFOLLOW)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                raise OSError(f"{path} is not a socket")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                await asyncio.get_running_loop().sock_connect(sock, f"/proc/self/fd/{fd}")
            except OSError:
                sock.close()
                raise
        finally:
            os.close(fd)
        self._socket = sock

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def _execute(self, source: str) -> str:
        msg_id = uuid.uuid4().hex
        await self._send({"code": source, "msg_id": msg_id})
        return msg_id

    async def _interrupt(self, msg_id: str) -> None:
        with contextlib.suppress(OSError):
            await self._send({"interrupt": msg_id})

    async def _send(self, request: dict[str, Any]) -> None:
        assert self._socket is not None
        data = json.dumps(request).encode() + b"\n"
        await asyncio.get_running_loop().sock_sendall(self._socket, data)

    async def _collect(
        self,
        msg_id: str,
        cell: NotebookNode | None,
        index: int,
        *,
        until: float,
        keep_outputs: bool = True,
    ) -> Any:
        """Read the copy's messages for ``msg_id`` until its reply: the reply comes after
        every output of the cell, on the same stream. None if ``until`` passed without one,
        _DIED if the copy or its sandbox ended."""
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
                except Exception as exc:  # the copy is untrusted: never let it crash us
                    log.debug("dropped an unreadable message of the graded copy: %s", exc)
                    continue
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if kind == b"r" and msg.get("msg_type") == "execute_reply":
                    return msg
                if kind == b"o":
                    self._on_iopub(msg, cell, index, keep_outputs)

    async def _receive(self, wait: float) -> list[tuple[bytes, list[bytes]]]:
        """The complete messages that arrived within ``wait`` seconds; EOFError when the
        copy is gone or sends more than a kernel may."""
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
            message, used = _parse(self._buffer)
            if message is None:
                break
            del self._buffer[:used]
            messages.append(message)
        if len(self._buffer) > MAX_MESSAGE_BYTES:
            raise EOFError
        return messages


def _parse(buffer: bytearray) -> tuple[tuple[bytes, list[bytes]] | None, int]:
    """One message at the start of ``buffer``: (kind, frames) and the bytes it took."""
    if len(buffer) < 5:
        return None, 0
    kind = bytes(buffer[:1])
    (count,) = struct.unpack_from("!I", buffer, 1)
    at, frames = 5, []
    for _ in range(count):
        if len(buffer) < at + 4:
            return None, 0
        (size,) = struct.unpack_from("!I", buffer, at)
        if len(buffer) < at + 4 + size:
            return None, 0
        frames.append(bytes(buffer[at + 4 : at + 4 + size]))
        at += 4 + size
    return (kind, frames), at
