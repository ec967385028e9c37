"""The warm pool and its fork server: one fresh kernel per submission, and every fault ends in
a correct grade (a cold start if need be) with a line in the log, never a lost submission.

The sandbox and tampering tests of test_sandbox.py and test_execute.py run on this fast path
too (kernels.py); these are about what only the pool does.
"""

from __future__ import annotations

import logging
import os
import signal
import textwrap
import threading
import time

import pytest
from nbformat.v4 import new_code_cell, new_notebook

import grading.sandbox.pool as pool_module
from grading.notebook.pipeline import grade_with_feedback
from grading.notebook.release import release
from grading.notebook.types import ExecutionEnv, SandboxLimits
from grading.sandbox.bubblewrap import KernelStartError
from grading.sandbox.executor import sandboxed_executor
from grading.sandbox.forkserver import ForkServer
from grading.sandbox.pool import WarmPool, current_pool, start_process_pool, stop_process_pool
from tests.grading.leaks import leaked_forms
from tests.grading.notebook.builders import answered, square_exercise

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not ForkServer.available(), reason="needs bubblewrap and a root grader"),
]

LIMITS = SandboxLimits(cell_timeout_s=5, notebook_timeout_s=30)


def notebook_of(*sources: str):
    return new_notebook(cells=[new_code_cell(textwrap.dedent(s).strip()) for s in sources])


def statuses(result) -> list[str]:
    return [c.status for c in result.cells]


def printed(result, index: int) -> str:
    return "".join(o.get("text", "") for o in result.notebook.cells[index].outputs)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def own_pool():
    """A pool of this test's own, for tests that break it."""
    pools: list[WarmPool] = []

    def make(wait: bool = True, **kwargs) -> WarmPool:
        pool = WarmPool(**{"size": 1, **kwargs}).start(wait=wait)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.stop()


# --- one kernel, one submission -------------------------------------------------------------


def test_nothing_a_submission_did_reaches_the_next_one(warm_pool):
    tamper = """
        import builtins, os, sys
        builtins.leak = "from the previous student"
        sys.modules["textwrap"].dedent = lambda text: "patched"
        open("/tmp/left-behind", "w").write("x")
        os.environ["LEAK"] = "1"
        print(os.getpid(), os.getuid())
    """
    check = """
        import builtins, os, textwrap
        assert not hasattr(builtins, "leak")
        assert textwrap.dedent("  x") == "x"
        assert os.listdir("/tmp") == [] or "left-behind" not in os.listdir("/tmp")
        assert "LEAK" not in os.environ
    """
    first = warm_pool.execute(notebook_of(tamper), limits=LIMITS)
    second = warm_pool.execute(notebook_of(check), limits=LIMITS)

    assert statuses(first) == ["ok"] and statuses(second) == ["ok"], printed(second, 0)


def test_a_submission_gets_a_fresh_kernel_for_each_of_its_two_runs(warm_pool):
    # The student run and the grading run (grading.notebook.pipeline): two fresh kernels,
    # and the history the student prints in the student run never held the hidden test.
    source = square_exercise()
    submission = answered(release(source), square="def square(x):\n    return x * x")
    submission.cells.append(
        new_code_cell("import base64\nprint(base64.b64encode('\\n'.join(In).encode()).decode())")
    )
    before = warm_pool.stats.warm + warm_pool.stats.forked_on_demand + warm_pool.stats.cold

    graded = grade_with_feedback(source, submission, limits=LIMITS, executor=warm_pool.execute)

    after = warm_pool.stats.warm + warm_pool.stats.forked_on_demand + warm_pool.stats.cold
    assert after - before == 2
    assert graded.result.total == 3.0  # both tests, as nbgrader scores a right answer
    assert leaked_forms(graded.feedback_html) == []


def test_two_kernels_forked_at_once_cannot_reach_each_other(warm_pool):
    listener = """
        import os, socket, time
        server = socket.create_server(("127.0.0.1", 47123))
        open("/tmp/mine", "w").write("secret")
        time.sleep(3)
    """
    neighbour = """
        import os, socket, time
        time.sleep(1)
        try:
            socket.create_connection(("127.0.0.1", 47123), timeout=1)
        except OSError as e:
            print("refused:", type(e).__name__)
        else:
            raise AssertionError("reached the other kernel's port")
        assert not os.path.exists("/tmp/mine")
        assert sorted(int(p) for p in os.listdir("/proc") if p.isdigit()) == [1, 2]
        assert os.listdir("/run/kernel") if os.access("/run/kernel", os.R_OK) else True
    """
    running = [warm_pool.submit(notebook_of(code), limits=LIMITS) for code in (listener, neighbour)]
    first, second = (future.result() for future in running)

    assert statuses(first) == ["ok"] and statuses(second) == ["ok"], printed(second, 0)
    assert "refused" in printed(second, 0)


def test_kernels_are_started_ahead_and_refilled(warm_pool):
    wait_for(lambda: warm_pool.warm_count() == warm_pool.size)
    before = warm_pool.stats.warm

    result = warm_pool.execute(notebook_of("print('hi')"), limits=LIMITS)

    assert statuses(result) == ["ok"] and result.sandboxed
    assert warm_pool.stats.warm == before + 1
    wait_for(lambda: warm_pool.warm_count() == warm_pool.size)


def test_other_limits_get_a_kernel_forked_with_those_limits(warm_pool):
    small = SandboxLimits(memory_mb=256, cell_timeout_s=5, notebook_timeout_s=30)
    before = warm_pool.stats.forked_on_demand

    # The memory is held for a while: the guard measures the sandbox's exact memory every
    # second (README "Memory"), and a one-cell notebook that ended at once could finish
    # between two measures (seen in CI).
    hog = "x = bytearray(300 * 1024**2)\nimport time\ntime.sleep(3)"
    result = warm_pool.execute(notebook_of(hog), limits=small)

    assert (result.cell(0).status, result.cell(0).ename) == ("error", "DeadKernelError")
    assert "memory limit of 256 MB exceeded" in result.error
    assert warm_pool.stats.forked_on_demand == before + 1
    big = warm_pool.execute(notebook_of("x = bytearray(300 * 1024**2)"), limits=LIMITS)
    assert statuses(big) == ["ok"]


def test_a_grading_worker_process_grades_with_its_pool():
    pool = start_process_pool(size=1)
    try:
        assert pool is not None and current_pool() is pool
        assert sandboxed_executor() is pool
    finally:
        stop_process_pool()
    assert current_pool() is None


# --- faults ---------------------------------------------------------------------------------


def test_a_kernel_that_dies_while_warm_is_replaced(own_pool, caplog):
    pool = own_pool(size=2)
    wait_for(lambda: pool.warm_count() == 2)
    warm = list(pool._ready)
    for kernel in warm:
        signal.pidfd_send_signal(kernel._sandbox_pidfd, signal.SIGKILL)
    wait_for(lambda: all(kernel.died_while_warm() for kernel in warm))

    with caplog.at_level(logging.WARNING, logger="grading.pool"):
        result = pool.execute(notebook_of("print('graded')"), limits=pool.limits)

    assert statuses(result) == ["ok"] and printed(result, 0) == "graded\n"
    assert pool.stats.warm_kernels_died == 2
    assert "warm kernel" in caplog.text and "died" in caplog.text
    wait_for(lambda: pool.warm_count() == 2)


def test_a_pool_that_cannot_refill_grades_with_cold_kernels(own_pool, monkeypatch, caplog):
    def no_memory(self, **kwargs):
        raise KernelStartError("the fork server could not start a kernel: fork: [Errno 12] ENOMEM")

    monkeypatch.setattr(ForkServer, "spawn", no_memory)
    with caplog.at_level(logging.WARNING, logger="grading.pool"):
        pool = own_pool(size=1, wait=False)
        wait_for(lambda: pool.stats.refill_failures >= 1)
        result = pool.execute(notebook_of("print(6 * 7)"), limits=LIMITS)

    assert statuses(result) == ["ok"] and printed(result, 0) == "42\n" and result.sandboxed
    assert pool.stats.cold == 1
    assert "could not refill the warm pool" in caplog.text
    assert "grading with a cold-started kernel" in caplog.text and "ENOMEM" in caplog.text


def test_low_memory_stops_refills_and_says_so(own_pool, monkeypatch, caplog):
    monkeypatch.setattr(pool_module, "available_memory_mb", lambda: 100)
    with caplog.at_level(logging.WARNING, logger="grading.pool"):
        pool = own_pool(size=2, wait=False)
        result = pool.execute(notebook_of("print('ok')"), limits=LIMITS)

    assert statuses(result) == ["ok"]
    assert pool.warm_count() == 0 and pool.stats.forked_on_demand == 1
    assert "not refilling the warm pool" in caplog.text


def test_a_fork_server_that_crashes_is_restarted(own_pool, caplog):
    pool = own_pool(size=1)
    wait_for(lambda: pool.warm_count() == 1)
    first_server = pool.server

    with caplog.at_level(logging.WARNING, logger="grading"):
        os.kill(first_server.zygote_host_pid(), signal.SIGKILL)
        wait_for(lambda: not first_server.alive)
        result = pool.execute(notebook_of("print('still graded')"), limits=LIMITS)
        wait_for(lambda: pool.server is not first_server and pool.warm_count() == 1)

    assert statuses(result) == ["ok"] and printed(result, 0) == "still graded\n"
    assert pool.stats.server_restarts == 1
    assert "the fork server died" in caplog.text
    assert statuses(pool.execute(notebook_of("1 + 1"), limits=LIMITS)) == ["ok"]


def test_a_fork_server_crash_mid_notebook_is_graded_again_cold(own_pool, caplog):
    pool = own_pool(size=1)
    wait_for(lambda: pool.warm_count() == 1)
    zygote = pool.server.zygote_host_pid()
    slow = notebook_of("import time\ntime.sleep(2)\nprint('slept')", "print('done')")

    with caplog.at_level(logging.WARNING, logger="grading"):
        threading.Timer(0.8, os.kill, (zygote, signal.SIGKILL)).start()
        result = pool.execute(slow, limits=LIMITS)

    assert statuses(result) == ["ok", "ok"], result.error
    assert result.error == "" and printed(result, 1) == "done\n"
    assert pool.stats.regraded_after_server_crash == 1 and pool.stats.cold == 1
    assert "the fork server died while the notebook ran" in caplog.text


def test_without_a_fork_server_the_pool_keeps_cold_kernels_warm(own_pool):
    pool = own_pool(size=1, fork_server=False)  # as for a grader that is not root

    result = pool.execute(notebook_of("print('cold but warm')"), limits=LIMITS)

    assert statuses(result) == ["ok"] and result.sandboxed
    assert pool.server is None and pool.stats.warm == 1


def test_a_cancelled_notebook_is_killed_at_once(warm_pool):
    """What the student's Stop button does to a run: cancelling the future kills its kernel."""
    future = warm_pool.submit(
        notebook_of("while True:\n    pass"),
        limits=SandboxLimits(cell_timeout_s=60, notebook_timeout_s=120),
    )
    time.sleep(1.0)
    busy = set(warm_pool.sandbox_pids())
    assert future.cancel() or future.cancelled()
    # The kernel that ran it is gone within a few seconds (its whole sandbox killed).
    wait_for(lambda: len(busy - set(warm_pool.sandbox_pids())) >= 2, timeout=10)
    result = warm_pool.execute(notebook_of("print('next')"), limits=LIMITS)
    assert printed(result, 0) == "next\n"


def test_another_runtime_gets_warm_kernels_of_its_own(warm_pool):
    env = ExecutionEnv(runtime="python-minimal")
    first = warm_pool.execute(notebook_of("import sys\nprint(sys.prefix)"), env=env)
    assert printed(first, 0) == "/opt/runtime\n"
    wait_for(lambda: warm_pool.warm_count("python-minimal") == 1)
    before = warm_pool.stats.warm
    second = warm_pool.execute(notebook_of("print('warm')"), env=env)
    assert printed(second, 0) == "warm\n" and warm_pool.stats.warm == before + 1


# --- kernels without the runtime's preloaded modules ----------------------------------------


def test_only_notebooks_that_name_a_preloaded_package_get_a_kernel_that_has_it():
    preload = ("numpy", "pandas", "matplotlib.pyplot", "sklearn.linear_model")
    assert not pool_module.needs_preload([notebook_of("total = sum([1, 2])")], preload)
    assert not pool_module.needs_preload([notebook_of("import pandas_helper, mypandas")], preload)
    for source in (
        "import pandas as pd",
        "from sklearn.linear_model import LinearRegression",
        "# uses numpy below",
        "%matplotlib inline",
        "%pylab inline",
    ):
        assert pool_module.needs_preload([notebook_of("x = 1", source)], preload), source
    # the hidden tests count too: the grading run is one of the notebooks
    assert pool_module.needs_preload([notebook_of("x = 1"), notebook_of("import numpy")], preload)
    assert not pool_module.needs_preload([notebook_of("import pandas")], ())


def test_a_plain_notebook_runs_without_the_preloaded_modules_and_can_still_import_them(
    warm_pool,
):
    before = warm_pool.stats.without_preload
    plain = warm_pool.execute(
        notebook_of(
            "import sys\nprint(('pan' + 'das') in sys.modules)",
            "import importlib\nprint(importlib.import_module('pan' + 'das').Series([1, 2]).sum())",
        ),
        limits=LIMITS,
    )
    assert printed(plain, 0) == "False\n"
    assert printed(plain, 1) == "3\n"  # the same runtime: only the import is its own
    assert warm_pool.stats.without_preload == before + 1
    science = warm_pool.execute(
        notebook_of("import sys\nprint('pandas' in sys.modules)\nimport pandas"), limits=LIMITS
    )
    assert printed(science, 0) == "True\n"  # preloaded: the import is free
    assert warm_pool.stats.without_preload == before + 1
    assert warm_pool.warm_count(preloaded=True) >= 1


@pytest.mark.parametrize("source", ["print(1)", "import pandas"])
def test_a_kernel_still_lists_its_modules_as_ipykernel_and_ipython_do(warm_pool, source):
    """The fork server lists the loaded modules once for every kernel (zygote.py,
    scan_modules_once): the debugger's files, and the names `%reset --aggressive` keeps."""
    result = warm_pool.execute(
        notebook_of(
            source,
            """
            import sys
            ip = get_ipython()
            files = ip.kernel._kernel_modules
            print(len(files) > 100, sys.modules['json'].__file__ in files)
            print(ip.kernel.debugger.kernel_modules is files)
            """,
            "import tabnanny, json",
            "%reset -f --aggressive",
            "import sys\nprint('tabnanny' in sys.modules, 'json' in sys.modules)",
        ),
        limits=LIMITS,
    )
    assert printed(result, 1) == "True True\nTrue\n"
    # a module loaded after the kernel started is culled; one it started with stays
    assert printed(result, 4) == "False True\n"
