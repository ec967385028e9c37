"""Warm sandboxed kernels for a grading process: started ahead of demand, one per submission.

Why this design (figures from ``bench/grading.py`` and ``bench/sandbox_startup.py`` on the
2-core CI machine; see README "Performance"):

* A cold sandboxed kernel costs ~0.5 s of wall time and ~0.9 s of CPU, nearly all of it
  starting Python and importing ipykernel. A pool of *pre-started cold kernels* takes the
  wait off a single submission's path, but not the CPU: in a burst the two cores still
  spend ~0.9 s per submission starting kernels, so throughput cannot pass ~2 per second
  (2 cores / 0.9 s; ~2.5x nbgrader's one-at-a-time loop at ~0.75 per second), whatever
  the pool size. (That is still the pool a grader that is not root gets: ``fork_server``.)
* A *fork server* (``forkserver.py``) cuts the CPU per kernel to ~60-70 ms: ipykernel is
  imported once, in a thread-free sandboxed zygote, and each kernel is a fork that enters
  namespaces, limits and a uid of its own before it becomes a kernel. That is what makes
  a burst fast; the pool keeps a few of these forked kernels ready, so a submission on an
  idle worker does not wait even for the fork.

So: a pool of warm kernels forked by a fork server, per grading process, with cold starts as
the fallback for everything that can go wrong. Rules:

* **One kernel, one submission.** A kernel is taken out of the pool, runs one notebook and is
  killed (its whole PID namespace, its scratch tmpfs, its directory, its uid lease). Nothing
  a student did can reach the next one: the next kernel was forked from the zygote, which
  never runs student code.
* **Sized to the machine.** ``size`` warm kernels per process (default from the cores and the
  memory available, see ``default_pool_size``); refilled in the background, one at a time,
  while the memory the machine has available stays above ``min_available_mb``. A warm
  kernel costs ~10 MB of its own (the rest is shared with the zygote, copy-on-write).
* **Two lanes per runtime that preloads modules.** A runtime's fork server imports its
  heavy modules (pandas, scikit-learn ...) once so that a kernel imports them for nothing;
  but a kernel forked from that ~200 MB image costs more to fork and to copy page by page
  than one forked from a bare ipykernel (~0.1 s of CPU per plain-Python submission in the
  data-science runtime). So a notebook whose code (hidden tests included) names none of
  the preloaded packages gets a kernel of the same runtime forked by a second fork server
  that has not imported them (``needs_preload``); one that still imports them somehow just
  pays for the import. Both lanes are kept warm.
* **Limits.** rlimits are fixed when a kernel starts, so warm kernels are for one set of
  limits (the last one asked for). A submission with other limits gets a kernel forked on
  demand (~0.1 s) and the pool switches to its limits.
* **Faults fall back to a cold start, loudly, and lose nothing.** A warm kernel that died
  while waiting is replaced; a kernel that dies before the notebook starts, a pool that
  cannot refill (no memory, fork failing) and a fork server that is down all make the
  submission run in a cold ``SandboxedKernel`` with a warning in the log. A fork server
  that crashes kills the kernels it forked: a submission interrupted that way is graded
  again from the start with a cold kernel (never reported as the student's crash), and the
  fork server is restarted with a back-off.

Threads and loops: ``WarmPool`` runs one event loop in a thread of its own that lives as
long as the pool: it starts the fork server (bwrap's ``--die-with-parent`` follows the
thread that spawned it), owns every kernel's client sockets and runs every notebook.
``execute`` (the pipeline's ``Executor``) can be called from any thread; it waits for the
result of a coroutine scheduled on that loop.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import functools
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nbformat import NotebookNode

from grading.notebook import i18n
from grading.notebook.types import ExecutionEnv, ExecutionResult, SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.bubblewrap import (
    DEFAULT_LIMITS,
    KernelStartError,
    SandboxedKernel,
    SandboxUnavailable,
    bubblewrap_available,
)
from grading.sandbox.execute import async_execute_notebook, run_notebook_in_kernel
from grading.sandbox.forkserver import ForkedKernel, ForkServer
from grading.sandbox.graded_copy import async_execute_pair, run_pair_in_kernel
from grading.sandbox.runtimes import Runtime

log = logging.getLogger("grading.pool")

#: Refills stop while the machine has less memory available than this (MemAvailable).
MIN_AVAILABLE_MB = 512
#: Memory one warm kernel holds of its own (PSS of the kernel and its init, measured by
#: bench/grading.py), used to size the pool from the memory available.
KERNEL_MEMORY_MB = 32
#: Fork server restarts back off from 1 s up to this.
MAX_RESTART_DELAY_S = 60.0
#: How often warm kernels and the fork server are checked when nothing else happens.
CHECK_INTERVAL_S = 1.0

_RLIMIT_FIELDS = ("memory_mb", "cpu_seconds", "processes", "open_files", "file_size_mb")
_FIXED_AT_START = (*_RLIMIT_FIELDS, "scratch_mb")


def rlimit_profile(limits: SandboxLimits) -> tuple:
    """The limits fixed when a kernel starts; the others are the grader's, per notebook."""
    return tuple(getattr(limits, name) for name in _FIXED_AT_START)


def available_memory_mb() -> int:
    """MemAvailable from /proc/meminfo (what can be used without swapping), in MB."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


def default_pool_size(concurrency: int = 1) -> int:
    """Warm kernels per grading process: enough that refills keep up with a burst on this
    process's share of the cores, within the memory the machine can spare."""
    cores = os.cpu_count() or 1
    by_cores = max(1, cores // max(1, concurrency)) + 1
    by_memory = max(0, (available_memory_mb() - MIN_AVAILABLE_MB) // (KERNEL_MEMORY_MB * 8))
    return max(1, min(by_cores, by_memory, 8))


@dataclasses.dataclass
class PoolStats:
    """What happened to the submissions this pool graded (for logs, tests and the bench)."""

    warm: int = 0  # graded in a kernel that was ready when the submission came
    forked_on_demand: int = 0  # no warm kernel ready (or other limits): forked for it
    cold: int = 0  # graded in a cold-started kernel (fallback)
    regraded_after_server_crash: int = 0
    warm_kernels_died: int = 0
    refill_failures: int = 0
    server_restarts: int = 0
    # Hidden-test exercises (graded_copy.py): both runs in one kernel, or the grading run
    # in a kernel of its own because no graded copy could be had.
    pairs_in_one_kernel: int = 0
    pairs_apart: int = 0
    # Notebooks that name none of their runtime's preloaded modules, run in a kernel
    # forked without them (see ``needs_preload``).
    without_preload: int = 0


def needs_preload(notebooks: Iterable[NotebookNode], modules: Iterable[str]) -> bool:
    """Whether a notebook's code (every code cell of ``notebooks``, the hidden tests
    included) names one of the packages of ``modules`` (a runtime's preload: ``pandas``,
    ``sklearn.linear_model`` ...), or ``pylab`` with matplotlib among them.

    A notebook that names none of them gets a kernel forked from a fork server that has
    not imported them: a smaller image to fork and to copy page by page, ~0.1 s of CPU less
    per plain-Python submission in the data-science runtime. The runtime is the same, so a
    notebook that still imports one (through ``importlib``, say) runs the same, only
    paying for the import itself."""
    pattern = _names_pattern(tuple(sorted(set(modules))))
    if pattern is None:
        return False
    for nb in notebooks:
        for cell in nb.cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            if not isinstance(source, str):
                source = "".join(source)
            if pattern.search(source):
                return True
    return False


@functools.lru_cache(maxsize=32)
def _names_pattern(modules: tuple[str, ...]) -> re.Pattern[str] | None:
    names = {module.split(".")[0] for module in modules if module}
    if "matplotlib" in names:
        names.add("pylab")  # %pylab imports numpy and matplotlib without naming them
    if not names:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")


class _Lane:
    """The fork server and the warm kernels of one runtime, with its preloaded modules or,
    when ``light``, without them (for notebooks that never name them)."""

    def __init__(
        self, runtime: Runtime, size: int, limits: SandboxLimits, *, light: bool = False
    ) -> None:
        self.runtime = runtime
        self.light = light
        self.size = size
        self.limits = limits
        self.server: ForkServer | None = None
        self.ready: collections.deque[SandboxedKernel] = collections.deque()
        self.starting = 0
        self.restart_delay = 1.0
        self.next_server_start = 0.0
        self.first_server_attempt = asyncio.Event()
        #: None: the runtime's own preload; () for a light lane, or once a preload broke
        #: the fork server.
        self.preload: tuple[str, ...] | None = () if light else None

    @property
    def name(self) -> str:
        if self.light:
            return f"{self.runtime.name} (without preloaded modules)"
        return self.runtime.name


class WarmPool:
    """Warm sandboxed kernels for one process, per runtime; see the module docstring."""

    def __init__(
        self,
        *,
        size: int | None = None,
        limits: SandboxLimits = DEFAULT_LIMITS,
        runtimes_warm: Iterable[str] | None = None,
        preload: Iterable[str] = (),
        min_available_mb: int = MIN_AVAILABLE_MB,
        fork_server: bool = True,
        other_runtime_size: int = 1,
    ) -> None:
        self.size = size if size is not None else default_pool_size()
        self.limits = limits
        #: Runtimes whose kernels are kept warm from the start (default: the default one);
        #: another runtime gets a lane of its own, of ``other_runtime_size``, when first used.
        self.runtimes_warm = tuple(runtimes_warm or (runtimes.default_name(),))
        self.extra_preload = tuple(preload)  # GRADING_PRELOAD_MODULES, on top of the runtime's
        self.other_runtime_size = other_runtime_size
        self.min_available_mb = min_available_mb
        self.use_fork_server = fork_server and ForkServer.available()
        self.stats = PoolStats()
        #: (runtime name, light) -> lane; see ``needs_preload``
        self._lanes: dict[tuple[str, bool], _Lane] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._wake: asyncio.Event | None = None
        self._maintainer: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._stopping = False
        self._low_memory_logged = False

    # -- public, any thread ---------------------------------------------------------------

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> WarmPool:
        """Start the pool's thread and loop, the fork servers and the first warm kernels.

        With ``wait``, returns once the pool is full (or after ``timeout``)."""
        if not bubblewrap_available():
            raise SandboxUnavailable("bubblewrap is not usable on this machine")
        warm = [runtimes.get(name) for name in self.runtimes_warm]  # UnknownRuntime: say so now
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run_loop, args=(started, warm), name="grading-pool", daemon=True
        )
        self._thread.start()
        started.wait()
        if wait:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(
                len(lane.ready) < lane.size for lane in list(self._lanes.values())
            ):
                time.sleep(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Kill every kernel and fork server, and end the pool's thread."""
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop = self._thread = None

    def execute(
        self,
        nb: NotebookNode,
        *,
        limits: SandboxLimits = DEFAULT_LIMITS,
        allow_unsandboxed: bool = False,
        env: ExecutionEnv | None = None,
    ) -> ExecutionResult:
        """The pipeline's Executor: run ``nb`` in a fresh (warm) sandboxed kernel."""
        return self.submit(nb, limits=limits, env=env).result()

    __call__ = execute

    def submit(
        self,
        nb: NotebookNode,
        *,
        limits: SandboxLimits = DEFAULT_LIMITS,
        env: ExecutionEnv | None = None,
    ) -> concurrent.futures.Future[ExecutionResult]:
        """Schedule ``nb``; the future can be cancelled (the kernel is killed at once)."""
        if self._loop is None:
            raise RuntimeError("the pool is not running")
        runtime = runtimes.get(env.runtime if env else "")  # UnknownRuntime: never a fallback
        # The pool's thread runs it: the caller's language goes along for the messages.
        return asyncio.run_coroutine_threadsafe(
            i18n.carry(self.aexecute(nb, limits=limits, env=env, runtime=runtime)), self._loop
        )

    def execute_pair(
        self,
        student_nb: NotebookNode,
        graded_nb: NotebookNode,
        *,
        limits: SandboxLimits = DEFAULT_LIMITS,
        allow_unsandboxed: bool = False,
        env: ExecutionEnv | None = None,
    ) -> tuple[ExecutionResult, ExecutionResult]:
        """The pipeline's two runs of a hidden-test exercise (graded_copy.py), in one warm
        kernel when a graded copy can be had."""
        if self._loop is None:
            raise RuntimeError("the pool is not running")
        runtime = runtimes.get(env.runtime if env else "")
        pair = self.aexecute_pair(student_nb, graded_nb, limits=limits, env=env, runtime=runtime)
        return asyncio.run_coroutine_threadsafe(i18n.carry(pair), self._loop).result()

    def warm_count(self, runtime: str | None = None, *, preloaded: bool = False) -> int:
        """Warm kernels of a runtime (default: the first runtime kept warm), those for
        notebooks that need none of its preloaded modules, or with ``preloaded`` those
        that have them."""
        lane = self._lanes.get(
            self._key(runtimes.get(runtime or self.runtimes_warm[0]), not preloaded)
        )
        return len(lane.ready) if lane else 0

    def sandbox_pids(self) -> list[int]:
        """Host pids of the fork servers and every kernel they forked (memory measurements)."""
        pids: list[int] = []
        for lane in list(self._lanes.values()):
            if lane.server is not None:
                pids += lane.server.process_ids()
        return pids

    # The lane of the default runtime that a notebook naming none of its preloaded modules
    # gets, as before runtimes (tests read these).
    @property
    def server(self) -> ForkServer | None:
        lane = self._lanes.get(self._key(runtimes.get(self.runtimes_warm[0]), True))
        return lane.server if lane else None

    @property
    def _ready(self) -> collections.deque[SandboxedKernel]:
        lane = self._lanes.get(self._key(runtimes.get(self.runtimes_warm[0]), True))
        return lane.ready if lane else collections.deque()

    # -- the loop -------------------------------------------------------------------------

    def _run_loop(self, started: threading.Event, warm: list[Runtime]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._wake = asyncio.Event()
        for runtime in warm:
            for light in {True, not self._preload_of(runtime)}:
                self._new_lane(runtime, light, self.size)
        self._maintainer = loop.create_task(self._maintain())
        loop.call_soon(started.set)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        self._stopping = True
        if self._maintainer is not None:
            self._maintainer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._maintainer
        for lane in self._lanes.values():
            while lane.ready:
                await lane.ready.popleft().shutdown()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        for lane in self._lanes.values():
            if lane.server is not None:
                await lane.server.stop()

    async def _maintain(self) -> None:
        """Keep the fork servers up and the lanes full; forever, in the background."""
        assert self._wake is not None
        while not self._stopping:
            try:
                busy = False
                for lane in list(self._lanes.values()):
                    await self._ensure_server(lane)
                    self._drop_dead_warm_kernels(lane)
                    if self._wants_kernel(lane):
                        await self._add_warm_kernel(lane)
                        busy = True
                if busy:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the warm pool's maintenance failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), CHECK_INTERVAL_S)

    async def _ensure_server(self, lane: _Lane) -> None:
        if not self.use_fork_server or (lane.server is not None and lane.server.alive):
            return
        if time.monotonic() < lane.next_server_start:
            return
        if lane.server is not None:  # it died
            reason = lane.server.exit_reason
            await lane.server.stop()
            lane.server = None
            self.stats.server_restarts += 1
            log.warning("restarting the fork server of %s (it died: %s)", lane.name, reason)
        preload = lane.preload
        if preload is None:
            preload = self._preload_of(lane.runtime)
        server = ForkServer(runtime=lane.runtime, preload=preload)
        try:
            await server.start()
        except (KernelStartError, SandboxUnavailable, OSError) as exc:
            lane.first_server_attempt.set()
            if preload and "preloading" in str(exc):
                # A preload module started a thread: start again without the runtime's
                # modules (kernels import them themselves), once, loudly.
                lane.preload = ()
                log.error(
                    "runtime %s: the fork server stopped while preloading (%s); "
                    "starting it again without preloading",
                    lane.name,
                    str(exc).splitlines()[0],
                )
                return
            lane.next_server_start = time.monotonic() + lane.restart_delay
            log.error(
                "the fork server of %s did not start (%s); submissions get cold kernels; "
                "next attempt in %.0f s",
                lane.name,
                exc,
                lane.restart_delay,
            )
            lane.restart_delay = min(lane.restart_delay * 2, MAX_RESTART_DELAY_S)
            return
        lane.restart_delay = 1.0
        lane.server = server
        lane.first_server_attempt.set()

    def _wants_kernel(self, lane: _Lane) -> bool:
        if len(lane.ready) + lane.starting >= lane.size:
            return False
        if self.use_fork_server and (lane.server is None or not lane.server.alive):
            return False
        if available_memory_mb() < self.min_available_mb:
            if not self._low_memory_logged:
                log.warning(
                    "not refilling the warm pool: less than %d MB of memory available; "
                    "submissions get kernels started on demand",
                    self.min_available_mb,
                )
                self._low_memory_logged = True
            return False
        self._low_memory_logged = False
        return True

    async def _add_warm_kernel(self, lane: _Lane) -> None:
        lane.starting += 1
        profile = rlimit_profile(lane.limits)
        try:
            kernel = await self._new_kernel(lane, lane.limits)
        except (KernelStartError, SandboxUnavailable, OSError) as exc:
            self.stats.refill_failures += 1
            log.warning("could not refill the warm pool (%s); retrying in 1 s", exc)
            await asyncio.sleep(1.0)
            return
        finally:
            lane.starting -= 1
        if self._stopping or profile != rlimit_profile(lane.limits):
            self._discard(kernel)  # the limits changed while it started
            return
        lane.ready.append(kernel)

    async def _new_kernel(self, lane: _Lane, limits: SandboxLimits) -> SandboxedKernel:
        if self.use_fork_server:
            if lane.server is None:
                raise KernelStartError("the fork server is not running")
            kernel: SandboxedKernel = ForkedKernel(lane.server, limits)
        else:
            kernel = SandboxedKernel(limits, runtime=lane.runtime)
        await kernel.start()
        return kernel

    def _drop_dead_warm_kernels(self, lane: _Lane) -> None:
        for kernel in list(lane.ready):
            if _died_while_warm(kernel):
                lane.ready.remove(kernel)
                self.stats.warm_kernels_died += 1
                log.warning(
                    "a warm kernel died while waiting (exit status %s); replacing it",
                    kernel.exit_status(),
                )
                self._discard(kernel)

    def _discard(self, kernel: SandboxedKernel) -> None:
        """Shut a kernel down in the background (the submission's result does not wait)."""
        task = asyncio.get_running_loop().create_task(kernel.shutdown())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _preload_of(self, runtime: Runtime) -> tuple[str, ...]:
        """What a fork server of ``runtime`` imports before forking (besides ipykernel)."""
        return (*runtime.preload, *self.extra_preload)

    def _key(self, runtime: Runtime, light: bool) -> tuple[str, bool]:
        # a runtime with nothing to preload has one lane
        return runtime.name, light or not self._preload_of(runtime)

    def _light(self, runtime: Runtime, notebooks: Iterable[NotebookNode]) -> bool:
        """Whether these notebooks run in a kernel without the runtime's preloaded modules."""
        preload = self._preload_of(runtime)
        return bool(preload) and not needs_preload(notebooks, preload)

    def _lane(self, runtime: Runtime, light: bool) -> _Lane:
        lane = self._lanes.get(self._key(runtime, light))
        if lane is None:
            size = self.size if runtime.name in self.runtimes_warm else self.other_runtime_size
            lane = self._new_lane(runtime, light, size)
            log.info("warm pool: a lane for runtime %s", lane.name)
            self._poke()
        return lane

    def _new_lane(self, runtime: Runtime, light: bool, size: int) -> _Lane:
        # ``light`` only beside a lane that preloads: a runtime's sole lane is its own
        light = light and bool(self._preload_of(runtime))
        lane = self._lanes[self._key(runtime, light)] = _Lane(
            runtime, size, self.limits, light=light
        )
        return lane

    # -- one submission -------------------------------------------------------------------

    async def aexecute(
        self,
        nb: NotebookNode,
        *,
        limits: SandboxLimits = DEFAULT_LIMITS,
        env: ExecutionEnv | None = None,
        runtime: Runtime | None = None,
    ) -> ExecutionResult:
        """Run ``nb`` in a fresh kernel: warm, else forked on demand, else cold."""
        started = time.monotonic()
        if runtime is None:
            runtime = runtimes.get(env.runtime if env else "")
        result = await self._in_fresh_kernel(
            runtime,
            self._light(runtime, [nb]),
            limits,
            lambda kernel: run_notebook_in_kernel(nb, kernel, limits=limits, env=env),
            lambda reason: self._cold(nb, limits, started, env, runtime, reason=reason),
        )
        return dataclasses.replace(result, duration_s=time.monotonic() - started)

    async def aexecute_pair(
        self,
        student_nb: NotebookNode,
        graded_nb: NotebookNode,
        *,
        limits: SandboxLimits,
        env: ExecutionEnv | None,
        runtime: Runtime,
    ) -> tuple[ExecutionResult, ExecutionResult]:
        """Both runs in a fresh kernel: warm, else forked on demand, else cold; the grading
        run in a kernel of its own when no graded copy could be had."""
        started = time.monotonic()
        shown, graded = await self._in_fresh_kernel(
            runtime,
            self._light(runtime, [student_nb, graded_nb]),
            limits,
            lambda kernel: run_pair_in_kernel(
                student_nb, graded_nb, kernel, limits=limits, env=env
            ),
            lambda reason: self._cold_pair(student_nb, graded_nb, limits, env, runtime, reason),
        )
        if graded is None:
            self.stats.pairs_apart += 1
            graded = await self.aexecute(graded_nb, limits=limits, env=env, runtime=runtime)
        else:
            self.stats.pairs_in_one_kernel += 1
        return dataclasses.replace(shown, duration_s=time.monotonic() - started), graded

    async def _in_fresh_kernel(
        self,
        runtime: Runtime,
        light: bool,
        limits: SandboxLimits,
        run: Callable[[SandboxedKernel], Awaitable[Any]],
        cold: Callable[[str], Awaitable[Any]],
    ) -> Any:
        """``run(kernel)`` in a fresh kernel (warm, else forked on demand), thrown away
        after; ``cold(reason)`` instead when there is none, when it failed before any
        student code ran (the grader's set-up request: not the student's fault), or when
        the fork server died while it ran. ``light``: a kernel without the runtime's
        preloaded modules (see ``needs_preload``)."""
        kernel, how = await self._take(self._lane(runtime, light), limits)
        if kernel is None:
            return await cold(how)
        try:
            result = await run(kernel)
        except KernelStartError as exc:
            return await cold(f"the {how} kernel failed: {exc}")
        finally:
            self._discard(kernel)
            self._poke()
        if isinstance(kernel, ForkedKernel) and kernel.lost_with_server():
            self.stats.regraded_after_server_crash += 1
            return await cold("the fork server died while the notebook ran")
        if how == "warm":
            self.stats.warm += 1
        else:
            self.stats.forked_on_demand += 1
        if light:
            self.stats.without_preload += 1
        return result

    async def _cold_pair(
        self,
        student_nb: NotebookNode,
        graded_nb: NotebookNode,
        limits: SandboxLimits,
        env: ExecutionEnv | None,
        runtime: Runtime,
        reason: str,
    ) -> tuple[ExecutionResult, ExecutionResult | None]:
        log.warning("grading with a cold-started kernel: %s", reason)
        self.stats.cold += 1
        return await async_execute_pair(
            student_nb, graded_nb, limits=limits, sandboxed=True, env=env, runtime=runtime
        )

    async def _take(self, lane: _Lane, limits: SandboxLimits) -> tuple[SandboxedKernel | None, str]:
        """A fresh kernel for these limits and how it was had, or (None, why not)."""
        if rlimit_profile(limits) != rlimit_profile(lane.limits):
            lane.limits = limits  # warm kernels from now on are for these limits
            while lane.ready:
                self._discard(lane.ready.popleft())
            self._poke()
        while lane.ready:
            kernel = lane.ready.popleft()
            self._poke()
            if not _died_while_warm(kernel):
                return kernel, "warm"
            self.stats.warm_kernels_died += 1
            log.warning("a warm kernel had died while waiting; taking another")
            self._discard(kernel)
        if self.use_fork_server and lane.server is None:
            self._poke()
            with contextlib.suppress(TimeoutError):  # a lane that is still starting up
                await asyncio.wait_for(lane.first_server_attempt.wait(), 30)
        if self.use_fork_server and (lane.server is None or not lane.server.alive):
            return None, "the fork server is down"
        try:
            return await self._new_kernel(lane, limits), "forked"
        except (KernelStartError, SandboxUnavailable, OSError) as exc:
            return None, f"no kernel could be forked: {exc}"

    async def _cold(
        self,
        nb: NotebookNode,
        limits: SandboxLimits,
        started: float,
        env: ExecutionEnv | None,
        runtime: Runtime,
        *,
        reason: str,
    ) -> ExecutionResult:
        log.warning("grading with a cold-started kernel: %s", reason)
        self.stats.cold += 1
        result = await async_execute_notebook(
            nb, limits=limits, sandboxed=True, env=env, runtime=runtime
        )
        return dataclasses.replace(result, duration_s=time.monotonic() - started)


def _died_while_warm(kernel: SandboxedKernel) -> bool:
    if isinstance(kernel, ForkedKernel):
        return kernel.died_while_warm()
    process = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    return process is None or process.poll() is not None


# --------------------------------------------------------------------------------------------
# The pool of this process (a Celery worker's grading process)
# --------------------------------------------------------------------------------------------

_process_pool: WarmPool | None = None
_process_pool_pid: int | None = None


def start_process_pool(**kwargs: Any) -> WarmPool | None:
    """Start this process's pool; None (and a log line) when the sandbox is unusable here.

    Grading then uses cold kernels, as without a pool."""
    global _process_pool, _process_pool_pid
    if current_pool() is not None:
        return _process_pool
    try:
        pool = WarmPool(**kwargs).start(wait=False)
    except (SandboxUnavailable, KernelStartError, OSError, runtimes.UnknownRuntime) as exc:
        log.warning("no warm kernel pool in this process (%s); kernels start cold", exc)
        return None
    _process_pool, _process_pool_pid = pool, os.getpid()
    log.info("warm kernel pool: %d kernels, fork server: %s", pool.size, pool.use_fork_server)
    return pool


def stop_process_pool() -> None:
    global _process_pool
    pool = current_pool()
    _process_pool = None
    if pool is not None:
        pool.stop()


def current_pool() -> WarmPool | None:
    """This process's running pool, if any (not one inherited through a fork)."""
    if _process_pool is not None and _process_pool_pid == os.getpid():
        return _process_pool
    return None
