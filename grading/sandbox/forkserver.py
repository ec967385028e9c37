"""Cheap kernel starts: a sandboxed fork server ("zygote") and the kernels it forks.

Where a cold kernel's time goes (``bench/sandbox_startup.py``, this 2-core machine): bwrap
~5 ms, the interpreter ~36 ms, importing ipykernel ~250 ms, kernel ready ~0.45-0.6 s wall and
~0.9 s of CPU. Almost all of it is the same work every time: starting Python and importing
ipykernel, IPython, tornado, zmq, debugpy. A process that has done it once and forks costs
~60-70 ms of CPU per kernel (measured: a forked child's ``IPKernelApp.initialize`` + start,
with ipykernel's debugger and IPython's lazily imported modules pre-imported, and argparse's
and traitlets' regular expressions compiled once in the parent).

The design, and why it keeps the isolation of a cold start (``zygote.py`` has the details):

* One zygote per grading process, itself in a bubblewrap sandbox built exactly like a cold
  kernel's (``sandbox.sandbox_argv``: empty root, read-only runtime, no network, cleared
  environment, ``--die-with-parent``). It runs as root *of the sandbox* because each child
  must mount and change uid; it never runs student code, and imports only ipykernel (plus
  ``preload`` modules, e.g. numpy for an exercise that needs it) with no thread started, so
  forking it is safe.
* Each child gets new mount, PID, network, IPC and UTS namespaces; in the PID namespace an
  init of its own (PID 1, like bwrap's) that mounts a fresh ``/proc`` and ``devpts``, a
  private size-limited ``/tmp``, the kernel's own ``/etc/passwd`` and socket directory (over
  the directory of all kernels, so no other kernel's sockets are visible); then the kernel
  process: new session, rlimits, no capabilities, a uid leased for it alone (so the process
  limit is its own), then ipykernel with a fresh ZeroMQ context and fresh threads.
* Nothing writable is shared between two children: each has its own tmpfs, socket directory
  (bound from a directory the grader made for it), devpts, loopback and SysV IPC; ``/dev``
  and the root are the zygote's, read-only to an unprivileged uid. Student code cannot reach
  the zygote: it runs in a nested PID namespace (the zygote is not in it), as another uid,
  and the control socket is closed in every child before anything else happens.
* The grader talks to the zygote over a SOCK_SEQPACKET socket pair; it gets a pidfd of each
  sandbox's init (killing it ends the whole PID namespace, as with a cold kernel's bwrap) and
  the kernel's exit status when it ends. The kernel's stderr is a file the grader opened,
  passed with SCM_RIGHTS.

What is shared, and accepted: the zygote's memory pages (copy-on-write; a child cannot write
to them), the ipykernel and IPython state the zygote built before forking (module
globals, imported but unused; nothing of any student ever reaches the zygote), and the fork
server itself as a single point of failure: if it dies, every kernel it forked dies with it
(its PID namespace ends). ``pool.py`` then grades the interrupted submissions again with a
cold start and restarts the fork server.

Requires a root grader (the per-kernel uids and mounts); elsewhere ``ForkServer.available``
is false and the pool keeps cold-started kernels warm instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from grading.notebook.types import SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.bubblewrap import (
    DEFAULT_LIMITS,
    SANDBOX_FILES_DIR,
    SANDBOX_RUNTIME_DIR,
    SANDBOX_RUNTIME_PREFIX,
    SANDBOX_SCRATCH_DIR,
    SHUTDOWN_TIMEOUT_S,
    STARTUP_TIMEOUT_S,
    KernelStartError,
    SandboxedKernel,
    SandboxUnavailable,
    UidLease,
    _private_dir,
    _SandboxKernelManager,
    _wait_readable,
    bounded_zmq_context,
    bubblewrap_available,
    bwrap_path,
    default_runtime_base,
    kernel_argv,
    rlimits,
    sandbox_argv,
    sandbox_environment,
    sandbox_python,
    write_identity_files,
)
from grading.sandbox.runtimes import Runtime

log = logging.getLogger("grading.sandbox")

#: Imported once by the zygote: the kernel and everything a kernel imports while starting
#: (found by comparing ``sys.modules`` of a fresh kernel with ipykernel's own imports).
KERNEL_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.core.logger",
    "IPython.extensions.storemagic",
    "tornado.platform.asyncio",
    "tornado.gen",
    "tornado.locks",
    "tornado.queues",
    "pdb",
    "faulthandler",
    # what IPython imports to format the first traceback
    "stack_data",
    "asttokens",
    "executing",
    "pure_eval",
    "fractions",
    "pygments.console",
    "pygments.formatters.terminal256",
    "pygments.styles",
)
#: Niceness of the zygote and so of every kernel it forks: under load the web process and
#: the grader itself get the CPU before student code does.
KERNEL_NICENESS = 5
#: The zygote's own scratch directory (children mount their own): nothing is written there.
ZYGOTE_SCRATCH_MB = 8
ZYGOTE_PROGRAM = Path(__file__).with_name("zygote.py")


class ForkServerDown(KernelStartError):
    """The fork server is not running (it crashed, or was never started)."""


class ForkServer:
    """The grader's handle on one zygote. Lives on one event loop (the pool's)."""

    def __init__(
        self,
        *,
        runtime: Runtime | None = None,
        preload: tuple[str, ...] | None = None,
        runtime_base: Path | None = None,
        niceness: int = KERNEL_NICENESS,
    ) -> None:
        self.runtime = runtime if runtime is not None else runtimes.get()
        #: Modules imported once for every kernel (default: the runtime's ``preload``).
        self.preload = tuple(self.runtime.preload if preload is None else preload)
        #: Preload modules that failed to import (module -> error), as the zygote said.
        self.preload_failed: dict[str, str] = {}
        self.niceness = niceness
        self.alive = False
        self.exit_reason = ""
        self.started_at = 0.0
        self._runtime_base = runtime_base or default_runtime_base()
        self._dir: Path | None = None
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._init_pidfd: int | None = None  # PID 1 of the zygote's sandbox (bwrap's init)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future | None = None
        self._replies: dict[int, asyncio.Future] = {}
        self._exits: dict[int, int] = {}
        self._exit_waiters: dict[int, asyncio.Future] = {}
        self._next_id = 0
        self._stderr = None

    @staticmethod
    def available() -> bool:
        """A zygote needs bubblewrap and a root grader (see the module doc)."""
        return os.geteuid() == 0 and bubblewrap_available()

    @property
    def kernels_dir(self) -> Path:
        assert self._dir is not None
        return self._dir / "kernels"

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        if not self.available():
            raise SandboxUnavailable("the fork server needs bubblewrap and a root grader")
        self._loop = asyncio.get_running_loop()
        self._ready = self._loop.create_future()
        try:
            self._spawn_zygote()
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except BaseException as exc:
            detail = self.stderr_tail()
            await self.stop()
            if isinstance(exc, TimeoutError):
                raise KernelStartError(f"the fork server did not start{detail}") from None
            if isinstance(exc, KernelStartError | asyncio.CancelledError):
                raise
            raise KernelStartError(f"the fork server did not start: {exc}{detail}") from exc
        self.started_at = time.monotonic()
        log.info(
            "fork server of runtime %s started (pid %s)", self.runtime.name, self.zygote_host_pid()
        )

    def _spawn_zygote(self) -> None:
        base = _private_dir(self._runtime_base)
        self._dir = Path(tempfile.mkdtemp(prefix="z", dir=base))
        self.kernels_dir.mkdir(mode=0o711)
        passwd, group = write_identity_files(self._dir, 0)
        bwrap = bwrap_path()
        if bwrap is None:
            raise SandboxUnavailable("bwrap not found")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        info_read, info_write = os.pipe()
        self._stderr = open(self._dir / "zygote.stderr", "wb")  # noqa: SIM115 (closed in stop)
        try:
            argv = sandbox_argv(
                bwrap=bwrap,
                runtime=self.runtime,
                scratch_mb=ZYGOTE_SCRATCH_MB,
                host_runtime_dir=str(self.kernels_dir),
                passwd_file=str(passwd),
                group_file=str(group),
                info_fd=info_write,
            )
            config = {
                "control_fd": theirs.fileno(),
                "preload": list(KERNEL_MODULES),
                "extra_preload": list(self.preload),
                "kernel_argv": kernel_argv(f"{SANDBOX_RUNTIME_DIR}/connection.json"),
                "runtime_dir": SANDBOX_RUNTIME_DIR,
                "files_dir": SANDBOX_FILES_DIR,
                "scratch_dir": SANDBOX_SCRATCH_DIR,
                "environment": sandbox_environment(),
                "mpl_seed": f"{SANDBOX_RUNTIME_PREFIX}/{runtimes.MPL_CACHE_DIR}",
                "nice": self.niceness,
            }
            argv += ["--", sandbox_python(self.runtime), "-I", "-", json.dumps(config)]
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                pass_fds=(theirs.fileno(), info_write),
                env={},
            )
            os.close(info_write)
            info_write = -1
            theirs.close()
            assert self._process.stdin is not None
            self._process.stdin.write(ZYGOTE_PROGRAM.read_bytes())
            self._process.stdin.close()
            self._init_pidfd = _pidfd_from_info(info_read)
        finally:
            os.close(info_read)
            if info_write >= 0:
                os.close(info_write)
            if theirs.fileno() >= 0:
                theirs.close()
        ours.setblocking(False)
        self._control = ours
        self.alive = True
        assert self._loop is not None
        self._loop.add_reader(ours.fileno(), self._on_readable)

    async def stop(self) -> None:
        """Kill the zygote and every kernel it forked; clean up. Idempotent; never raises.

        Closing the control socket asks the zygote to exit (its sandbox, and so every kernel
        it forked, ends with it); it is killed if it has not within a second."""
        self._mark_dead("stopped")
        if self._process is not None and self._init_pidfd is not None:
            with contextlib.suppress(TimeoutError, RuntimeError):
                await _wait_readable(self._init_pidfd, 1.0)
        if self._init_pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._init_pidfd, signal.SIGKILL)
            with contextlib.suppress(TimeoutError, RuntimeError):
                await _wait_readable(self._init_pidfd, SHUTDOWN_TIMEOUT_S)
            os.close(self._init_pidfd)
            self._init_pidfd = None
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=SHUTDOWN_TIMEOUT_S)
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _mark_dead(self, reason: str) -> None:
        if self._control is not None:
            with contextlib.suppress(Exception):
                assert self._loop is not None
                self._loop.remove_reader(self._control.fileno())
            self._control.close()
            self._control = None
        if self.alive:
            self.alive = False
            self.exit_reason = reason
        error = ForkServerDown(f"the fork server is down ({self.exit_reason})")
        for future in [*self._replies.values(), *self._exit_waiters.values()]:
            if not future.done():
                future.set_exception(error)
                future.exception()  # retrieved: nobody may be waiting any more
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error)
            self._ready.exception()
        self._replies.clear()
        self._exit_waiters.clear()

    # -- requests -------------------------------------------------------------------------

    async def spawn(
        self,
        *,
        directory: str,
        uid: int,
        limits: SandboxLimits,
        stderr_fd: int,
        timeout: float = STARTUP_TIMEOUT_S,
    ) -> tuple[int, int]:
        """Fork a sandboxed kernel; returns (request id, pidfd of the sandbox's init)."""
        if not self.alive or self._control is None:
            raise ForkServerDown(f"the fork server is down ({self.exit_reason or 'not started'})")
        assert self._loop is not None
        self._next_id += 1
        request_id = self._next_id
        request = {
            "op": "spawn",
            "id": request_id,
            "dir": directory,
            "uid": uid,
            "rlimits": rlimits(limits),
            "scratch_bytes": limits.scratch_mb * 1024 * 1024,
        }
        reply = self._loop.create_future()
        self._replies[request_id] = reply
        fds = struct.pack("i", stderr_fd)
        try:
            self._control.sendmsg(
                [json.dumps(request).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)]
            )
            message, pidfd = await asyncio.wait_for(reply, timeout)
        except OSError as exc:
            self._mark_dead(f"control socket: {exc}")
            raise ForkServerDown(f"the fork server is down ({exc})") from exc
        except TimeoutError:
            raise KernelStartError(f"the fork server did not answer in {timeout:g} s") from None
        finally:
            self._replies.pop(request_id, None)
        if "error" in message or pidfd is None:
            raise KernelStartError(f"the fork server could not start a kernel: {message}")
        return request_id, pidfd

    def exit_status(self, request_id: int) -> int | None:
        return self._exits.get(request_id)

    async def wait_exit_status(self, request_id: int, timeout: float) -> int | None:
        """The kernel's exit status, once the zygote has reaped its sandbox."""
        if request_id in self._exits or not self.alive:
            return self._exits.get(request_id)
        assert self._loop is not None
        waiter = self._exit_waiters.setdefault(request_id, self._loop.create_future())
        with contextlib.suppress(TimeoutError, ForkServerDown):
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        return self._exits.get(request_id)

    def forget(self, request_id: int) -> None:
        self._exits.pop(request_id, None)
        waiter = self._exit_waiters.pop(request_id, None)
        if waiter is not None and not waiter.done():
            waiter.cancel()

    def poll(self) -> None:
        """Handle whatever the zygote has sent (also notices that it is gone)."""
        if self._control is not None:
            self._on_readable()

    def _on_readable(self) -> None:
        while self._control is not None:
            try:
                data, ancillary, _, _ = self._control.recvmsg(65536, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            except OSError as exc:
                self._on_death(f"control socket: {exc}")
                return
            fds: list[int] = []
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    count = len(payload) // 4
                    fds += struct.unpack(f"{count}i", payload[: count * 4])
            if not data:
                self._on_death("it exited")
                return
            self._dispatch(json.loads(data), fds)

    def _dispatch(self, message: dict, fds: list[int]) -> None:
        if message.get("ready"):
            failed = message.get("preload_failed")
            if isinstance(failed, dict) and failed:
                self.preload_failed = {str(k): str(v)[:300] for k, v in failed.items()}
                # Once per fork server start, one line: kernels import these themselves.
                log.warning(
                    "runtime %s: preloading %s failed (%s); kernels import them themselves",
                    self.runtime.name,
                    ", ".join(self.preload_failed),
                    "; ".join(self.preload_failed.values()),
                )
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
        elif "exited" in message:
            request_id = int(message["exited"])
            self._exits[request_id] = int(message["status"])
            waiter = self._exit_waiters.pop(request_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        else:
            future = self._replies.get(int(message.get("id", -1)))
            if future is not None and not future.done():
                future.set_result((message, fds[0] if fds else None))
                return
        for fd in fds:
            os.close(fd)

    def _on_death(self, reason: str) -> None:
        status = self._process.poll() if self._process is not None else None
        if self._process is not None and status is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = self._process.wait(timeout=1)
        detail = f"{reason}, status {status}" if status is not None else reason
        if self.alive:
            log.error("the fork server died (%s)%s", detail, self.stderr_tail())
        self._mark_dead(detail)

    # -- diagnostics ----------------------------------------------------------------------

    def zygote_host_pid(self) -> int | None:
        """Host pid of the zygote (the only child of its sandbox's init), for tests."""
        if self._process is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            init = _child_pids(self._process.pid)
            if init:
                children = _child_pids(init[0])
                return children[0] if children else None
        return None

    def process_ids(self) -> list[int]:
        """Host pids of the zygote and every process it forked (kernels and their inits)."""
        zygote = self.zygote_host_pid()
        if zygote is None:
            return []
        found, todo = [], [zygote]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with contextlib.suppress(OSError, ValueError):
                todo += _child_pids(pid)
        return found

    def stderr_tail(self, limit: int = 2000) -> str:
        if self._dir is None:
            return ""
        try:
            text = (self._dir / "zygote.stderr").read_bytes()[-limit:].decode(errors="replace")
        except OSError:
            return ""
        return f"\n--- fork server stderr ---\n{text.strip()}" if text.strip() else ""


def _child_pids(pid: int) -> list[int]:
    children: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            children += [int(p) for p in f.read().split()]
    return children


def _pidfd_from_info(info_fd: int) -> int:
    """bwrap writes {"child-pid": N} once its init runs; a pidfd of that init."""
    data = b""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while b"}" not in data and time.monotonic() < deadline:
        chunk = os.read(info_fd, 4096)
        if not chunk:
            break
        data += chunk
    try:
        return os.pidfd_open(int(json.loads(data)["child-pid"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KernelStartError(f"bwrap did not report the fork server's pid: {exc}") from exc


class ForkedKernel(SandboxedKernel):
    """A SandboxedKernel whose sandbox is forked by a ForkServer instead of started by bwrap.

    Same directory layout, uid lease, connection files, client, readiness check, directory
    lock and shutdown (SIGKILL to the sandbox's init through a pidfd) as a cold kernel; only
    ``_launch`` (a request to the zygote), liveness and the exit status differ.
    """

    def __init__(self, server: ForkServer, limits: SandboxLimits = DEFAULT_LIMITS) -> None:
        super().__init__(
            limits, runtime=server.runtime, sandboxed=True, runtime_base=server.kernels_dir
        )
        self.server = server
        self._request_id: int | None = None

    @property
    def preloaded(self) -> tuple[str, ...]:
        return self.server.preload

    async def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        if not self.server.alive:
            raise ForkServerDown(f"the fork server is down ({self.server.exit_reason})")
        await super().start(timeout)

    def _prepare(self) -> tuple[Path, int | None]:
        # The kernels' directories are the zygote's /run/kernel; each one must be reachable
        # (0711) but not listable by the zygote's children.
        self._dir = Path(tempfile.mkdtemp(prefix="k", dir=self.server.kernels_dir))
        os.chmod(self._dir, 0o711)  # noqa: S103 (traversable, not listable)
        ipc_dir = self._dir / "ipc"
        ipc_dir.mkdir(mode=0o700)
        self._make_files_dir()  # bound read-only at /run/files by the kernel's init
        self._uid_lease = UidLease(self.server.kernels_dir.parent.parent / "uids")
        owner = self._uid_lease.acquire()
        os.chown(ipc_dir, owner, owner)
        self._make_copy_dir(ipc_dir, owner)
        write_identity_files(self._dir, owner)
        self._stderr = open(self._dir / "kernel.stderr", "wb")  # noqa: SIM115 (closed in shutdown)
        return ipc_dir, owner

    async def _launch(self, ipc_dir: Path, owner: int | None) -> None:
        assert self._dir is not None and owner is not None and self._stderr is not None
        self._context = bounded_zmq_context(reconnect=True)  # the directory is locked later
        self.km = _SandboxKernelManager(
            command=[],
            sandbox_ip=f"{SANDBOX_RUNTIME_DIR}/kernel",
            owner=owner,
            transport="ipc",
            ip=str(ipc_dir / "kernel"),
            connection_file=str(ipc_dir / "grader.json"),
            context=self._context,
        )
        self.km.write_connection_file()
        self._request_id, self._sandbox_pidfd = await self.server.spawn(
            directory=self._dir.name, uid=owner, limits=self.limits, stderr_fd=self._stderr.fileno()
        )

    async def is_alive(self) -> bool:
        """Alive while the sandbox's init runs; once it ended, the exit status is in."""
        if self._sandbox_pidfd is None:
            return False
        if not _has_exited(self._sandbox_pidfd):
            return True
        if self._request_id is not None:
            await self.server.wait_exit_status(self._request_id, timeout=1.0)
        return False

    def exit_status(self) -> int | None:
        if self._request_id is None:
            return None
        return self.server.exit_status(self._request_id)

    def lost_with_server(self) -> bool:
        """True when the fork server is gone: the kernel's death is then not the student's.

        The zygote dies before the kernels it forked (they die when its namespace ends), so
        its end of the control socket is closed by then; read it now in case the loop has
        not yet."""
        self.server.poll()
        return not self.server.alive

    def died_while_warm(self) -> bool:
        return self._sandbox_pidfd is not None and _has_exited(self._sandbox_pidfd)

    async def shutdown(self) -> None:
        await super().shutdown()
        if self._request_id is not None:
            self.server.forget(self._request_id)
            self._request_id = None


def _has_exited(pidfd: int) -> bool:
    import select

    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(0))
