"""The sandbox holds against hostile notebooks: every test runs student code in real bwrap.

Each probe is a notebook cell that asserts what the student must not be able to do; the cell
ends "ok" only if the assertion held. Most probes share one kernel (``probes``) to keep the
file fast; the ones that wreck their kernel get their own. Every test runs both with a cold
kernel and with a warm one forked by the fork server (kernels.py).
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

import grading
from grading.notebook.types import ExecutionResult, SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.bubblewrap import (
    SANDBOX_UID_BASE,
    SANDBOX_UID_COUNT,
    bubblewrap_available,
    bwrap_argv,
    runtime_mounts,
)
from grading.sandbox.execute import async_execute_notebook, execute_notebook
from tests.grading.sandbox.kernels import KERNEL_PATHS, executor_for

pytestmark = pytest.mark.sandbox
EXECUTE = execute_notebook  # or the warm pool's, see kernel_path


@pytest.fixture(params=KERNEL_PATHS)
def kernel_path(request, monkeypatch):
    monkeypatch.setattr(f"{__name__}.EXECUTE", executor_for(request.param, request))
    return request.param


FAST = SandboxLimits(cell_timeout_s=5, notebook_timeout_s=60)
PROJECT_ROOT = Path(grading.__file__).resolve().parent.parent
SECRET = "grader-only-secret-5b1f0c"


def notebook_of(*sources: str):
    return new_notebook(cells=[new_code_cell(textwrap.dedent(s).strip()) for s in sources])


def run(*sources: str, limits: SandboxLimits = FAST) -> ExecutionResult:
    return EXECUTE(notebook_of(*sources), limits=limits)


def printed(result: ExecutionResult, index: int) -> str:
    return "".join(
        o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}"
        for o in result.notebook.cells[index].outputs
    )


def assert_ok(result: ExecutionResult, index: int) -> None:
    cell = result.cell(index)
    assert cell is not None and cell.status == "ok", (cell, printed(result, index))


def sandbox_processes_on_host(uid: int | None = None) -> list[str]:
    """Host processes still running under a sandbox uid, or under this one.

    Warm kernels of the pool run under sandbox uids of their own, so a test asks about the
    uid of the sandbox it ran."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        process_uid = int(line.split()[1])
        if uid == process_uid if uid is not None else is_sandbox_uid(process_uid):
            found.append(pid)
    return found


def is_sandbox_uid(uid: int) -> bool:
    return SANDBOX_UID_BASE <= uid < SANDBOX_UID_BASE + SANDBOX_UID_COUNT


def venv_in_project() -> list[str]:
    """What the sandbox may show of the project directory: nothing. The virtualenv, even
    when it lives in the project, is mounted elsewhere (sandbox.SANDBOX_VENV_DIR)."""
    return []


def test_bubblewrap_is_usable_here():
    assert bubblewrap_available()


# --- one kernel, many probes ----------------------------------------------------------------

PROBES = {
    "loopback": """
        import socket
        for port in ({listener_port}, 5432, 6379):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", port))
            except OSError as e:
                print(port, "blocked:", type(e).__name__)
            else:
                raise AssertionError(f"reached the host's 127.0.0.1:{{port}}")
    """,
    "internet": """
        import socket
        assert [name for _, name in socket.if_nameindex()] == ["lo"]
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("8.8.8.8", 53))
        except OSError as e:
            print("tcp blocked:", type(e).__name__)
        else:
            raise AssertionError("reached the internet")
        try:
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))
        except OSError as e:
            print("udp blocked:", type(e).__name__)
        else:
            raise AssertionError("sent a datagram to the internet")
        try:
            socket.getaddrinfo("pypi.org", 443)
        except OSError as e:
            print("dns blocked:", type(e).__name__)
        else:
            raise AssertionError("resolved a name")
    """,
    "host_unix_sockets": """
        import os, socket
        # only the kernel's own sockets, and the exercise's (read-only) data files
        assert sorted(os.listdir("/run")) == ["files", "kernel"]
        for path in ("/run/postgresql", "/var/run/postgresql", "/var/run", {unix_socket!r}):
            assert not os.path.exists(path), path
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect({abstract_name!r})
        except OSError as e:
            print("abstract socket blocked:", type(e).__name__)
        else:
            raise AssertionError("reached the grader's abstract socket")
    """,
    "platform_not_importable": """
        import importlib, sys
        assert sys.prefix == "/opt/runtime", sys.prefix  # the runtime, not the platform's venv
        for name in ("django", "celery", "psycopg", "lms", "grading", "rest_framework",
                     "wagtail", "environ", "kombu"):
            try:
                importlib.import_module(name)
            except ImportError as e:
                print(name, "not importable:", type(e).__name__)
            else:
                raise AssertionError(f"the platform's {{name}} is importable in the sandbox")
        assert not any("/.venv" in p or "site-packages" in p and not p.startswith("/opt/runtime")
                       for p in sys.path), sys.path
    """,
    "shared_memory": """
        import multiprocessing, os
        lock = multiprocessing.Lock()  # a POSIX semaphore in /dev/shm
        with lock:
            pass
        open("/dev/shm/x", "w").write("private")
        assert os.statvfs("/dev/shm").f_blocks * os.statvfs("/dev/shm").f_frsize <= 64 * 2**20
    """,
    "platform_files": """
        import os
        for path in ({source_file!r}, {manage_py!r}, {dotenv!r}, {sqlite!r}, {secret_file!r},
                     "/etc/shadow", "/root/.bash_history", "/var/lib/postgresql"):
            try:
                open(path).read()
            except OSError as e:
                print(path, type(e).__name__)
            else:
                raise AssertionError(f"read {{path}}")
        # Only the virtualenv, if it lives in the project, is visible of the project.
        visible = os.listdir({project_root!r}) if os.path.exists({project_root!r}) else []
        assert visible == {venv_in_project!r}, visible
    """,
    "read_only_system": """
        import os, sys
        for path in (sys.prefix + "/evil.py", "/usr/evil", "/etc/passwd", "/evil",
                     "/run/kernel/evil", sys.base_prefix + "/evil"):
            try:
                open(path, "w").write("x")
            except OSError as e:
                print(path, type(e).__name__)
            else:
                raise AssertionError(f"wrote {{path}}")
    """,
    "scratch_is_writable": """
        import os
        assert os.getcwd() == os.environ["HOME"] == "/tmp"
        with open("notes.txt", "w") as f:
            f.write("mine")
        assert open("/tmp/notes.txt").read() == "mine"
    """,
    "environment": """
        import os
        allowed = {{"PATH", "HOME", "TMPDIR", "USER", "LOGNAME", "LANG", "LC_ALL",
                    "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "IPYTHONDIR",
                    "JUPYTER_PLATFORM_DIRS", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR",
                    "MALLOC_ARENA_MAX", "PYDEVD_DISABLE_FILE_VALIDATION", "MPLBACKEND",
                    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}}
        # ipykernel and matplotlib-inline set a few of their own at start-up
        extra = set(os.environ) - allowed - {{"MPLBACKEND", "PYDEVD_USE_FRAME_EVAL",
                                               "CLICOLOR", "FORCE_COLOR", "PAGER",
                                               "GIT_PAGER", "TERM", "CLICOLOR_FORCE", "PWD"}}
        assert not extra, extra
        assert {secret!r} not in repr(dict(os.environ))
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                environ = open(f"/proc/{{pid}}/environ", "rb").read()
            except OSError:
                continue
            assert {secret!r}.encode() not in environ, pid
    """,
    "identity": """
        import os
        assert os.getuid() != 0 and os.geteuid() != 0, os.getuid()
        caps = {{k: v for k, v in (l.split(":\\t") for l in open("/proc/self/status")
                 .read().splitlines() if l.startswith("Cap"))}}
        assert set(caps.values()) == {{"0000000000000000"}}, caps
        try:
            os.setuid(0)
        except PermissionError:
            print("setuid(0) refused")
        else:
            raise AssertionError("became root")
        assert open("/proc/self/status").read().count("NoNewPrivs:\\t1") == 1
    """,
    "pid_namespace": """
        import os
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        assert pids[0] == 1 and len(pids) <= 3, pids
        assert os.getppid() == 1
        # the sandbox's init: bwrap's own, or the fork server's
        assert open("/proc/1/comm").read().strip() in ("bwrap", "sandbox-init")
        if {grader_pid} > 10:
            try:
                os.kill({grader_pid}, 0)
            except ProcessLookupError:
                print("grader invisible")
            else:
                raise AssertionError("saw the grader's pid")
    """,
}


@pytest.fixture(scope="module", params=KERNEL_PATHS)
def probes(request, tmp_path_factory):
    """Runs every probe in one sandboxed kernel, with bait set up in the grader."""
    execute = executor_for(request.param, request)
    bait = tmp_path_factory.mktemp("bait")
    secret_file = bait / "secret.txt"
    secret_file.write_text(SECRET)
    listener = socket.create_server(("127.0.0.1", 0))
    unix_path = str(bait / "grader.sock")
    unix_listener = socket.socket(socket.AF_UNIX)
    unix_listener.bind(unix_path)
    unix_listener.listen()
    abstract_name = f"\0grading-test-{os.getpid()}"
    abstract_listener = socket.socket(socket.AF_UNIX)
    abstract_listener.bind(abstract_name)
    abstract_listener.listen()
    saved = {k: os.environ.get(k) for k in ("DJANGO_SECRET_KEY", "DATABASE_URL", "GRADER_TOKEN")}
    os.environ.update(
        DJANGO_SECRET_KEY=SECRET, DATABASE_URL=f"postgres://u:{SECRET}@h/db", GRADER_TOKEN=SECRET
    )
    values = {
        "listener_port": listener.getsockname()[1],
        "unix_socket": unix_path,
        "abstract_name": abstract_name,
        "source_file": str(PROJECT_ROOT / "grading" / "notebook" / "types.py"),
        "manage_py": str(PROJECT_ROOT / "manage.py"),
        "dotenv": str(PROJECT_ROOT / ".env"),
        "sqlite": str(PROJECT_ROOT / "db.sqlite3"),
        "project_root": str(PROJECT_ROOT),
        "venv_in_project": venv_in_project(),
        "secret_file": str(secret_file),
        "secret": SECRET,
        "grader_pid": os.getpid(),
    }
    try:
        names = list(PROBES)
        sources = (textwrap.dedent(PROBES[n]).format(**values) for n in names)
        result = execute(notebook_of(*sources), limits=FAST)
    finally:
        for sock in (listener, unix_listener, abstract_listener):
            sock.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return result, {name: i for i, name in enumerate(names)}


@pytest.mark.parametrize("probe", list(PROBES))
def test_sandbox_probe_holds(probes, probe):
    result, index = probes
    assert result.sandboxed and result.error == ""
    assert_ok(result, index[probe])


def test_only_the_python_runtime_is_bound_from_the_host():
    runtime = runtimes.get()
    argv = bwrap_argv(
        bwrap="bwrap",
        runtime=runtime,
        limits=FAST,
        host_runtime_dir="/kernel-dir",
        passwd_file="/passwd",
        group_file="/group",
        drop_to_uid=None,
    )
    binds = {argv[i + 1]: argv[i] for i, a in enumerate(argv) if a.endswith("bind")} | {
        argv[i + 1]: argv[i] for i, a in enumerate(argv) if a.endswith("bind-try")
    }

    hosts = [host for host, _ in runtime_mounts(runtime)]
    assert set(binds) == {
        *hosts,
        "/kernel-dir",
        "/passwd",
        "/group",
        "/etc/ld.so.cache",
        "/etc/localtime",
    }
    assert {binds[p] for p in hosts} == {"--ro-bind"}
    # The platform's virtualenv and source are not bound; the runtime (built under the
    # project's var/) appears at /opt/runtime only.
    assert sys.prefix not in hosts and str(PROJECT_ROOT) not in hosts
    assert dict(runtime_mounts(runtime))[str(runtime.prefix)] == "/opt/runtime"
    assert {"--unshare-net", "--unshare-pid", "--clearenv", "--die-with-parent"} <= set(argv)


# --- probes that wreck their kernel ---------------------------------------------------------


def test_a_fork_bomb_is_contained_and_cleaned_up(kernel_path):
    limits = SandboxLimits(processes=8, cell_timeout_s=2, notebook_timeout_s=30)
    result = run(
        """
        import os, time
        print("uid", os.getuid())
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                children += 1
        except OSError as e:
            print("fork refused after", children, type(e).__name__)
        assert children < 8 + 16, children
        """,
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """,
        "print('the kernel still answers')",
        limits=limits,
    )

    assert_ok(result, 0)
    assert result.cell(1).status == "timeout"
    assert result.cell(2).status in ("ok", "not_run")  # not_run if the spinning bomb won
    if os.geteuid() == 0:
        uid = int(printed(result, 0).split()[1])
        # A pool's kernel is shut down in the background, just after the result is back.
        deadline = time.monotonic() + 10
        while sandbox_processes_on_host(uid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox_processes_on_host(uid) == []
    assert_ok(run("print('next submission')"), 0)


def test_a_fork_bomb_does_not_take_the_process_budget_of_another_sandbox(kernel_path, request):
    limits = SandboxLimits(processes=8, cell_timeout_s=10, notebook_timeout_s=30)
    hog = """
        import os, time
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(8)
                    os._exit(0)
        except OSError:
            pass
        time.sleep(4)  # keep every slot taken while the neighbour runs
    """
    neighbour = """
        import os, time
        time.sleep(2)
        for _ in range(4):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
    """

    async def both():
        return await asyncio.gather(
            async_execute_notebook(notebook_of(hog), limits=limits),
            async_execute_notebook(notebook_of(neighbour), limits=limits),
        )

    if kernel_path == "fork":
        pool = request.getfixturevalue("warm_pool")
        running = [pool.submit(notebook_of(code), limits=limits) for code in (hog, neighbour)]
        hogged, neighbour_result = (future.result() for future in running)
    else:
        hogged, neighbour_result = asyncio.run(both())

    assert_ok(hogged, 0)
    assert_ok(neighbour_result, 0)


def test_killing_its_parents_only_kills_the_kernel(kernel_path):
    result = run(
        """
        import os, signal
        for target in (os.getppid(), -1):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError as e:
                print(target, type(e).__name__)
        """,
        "print('still here')",
        "import os\nos.killpg(0, 9)",
        "print('never')",
    )

    assert [c.status for c in result.cells] == ["ok", "ok", "error", "not_run"]
    assert result.error.startswith("The kernel died")
    assert_ok(run("print('next submission')"), 0)


def test_memory_is_limited_by_what_the_sandbox_uses_not_by_address_space(kernel_path):
    # Mapping far more than the limit without using it is fine (as scipy and OpenBLAS do);
    # an allocation past the address-space backstop is a MemoryError the kernel survives;
    # really using more than the limit ends the sandbox with the limit named.
    result = run(
        "import mmap\nreserved = mmap.mmap(-1, 1536 * 1024**2)\nprint('mapped')",
        "x = bytearray(64 * 1024**3)",
        "print('alive')",
        "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024**2))",
        "print('never')",
    )

    assert_ok(result, 0)
    assert (result.cell(1).status, result.cell(1).ename) == ("error", "MemoryError")
    assert_ok(result, 2)
    assert (result.cell(3).status, result.cell(3).ename) == ("error", "DeadKernelError")
    assert result.cell(4).status == "not_run"
    assert result.error.startswith(
        f"The kernel was stopped: memory limit of {FAST.memory_mb} MB exceeded"
    ), result.error


def test_memory_of_every_process_of_the_sandbox_counts(kernel_path):
    # Three processes of 200 MB each: each under a per-process limit, together over it.
    code = (
        "import os, time\n"
        "for _ in range(2):\n"
        "    if os.fork() == 0:\n"
        "        x = bytearray(200 * 1024**2)\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "x = bytearray(200 * 1024**2)\n"
        "time.sleep(20)"
    )
    result = run(code, "print('never')")

    assert (result.cell(0).status, result.cell(0).ename) == ("error", "DeadKernelError")
    assert "memory limit" in result.error


def test_cpu_time_is_limited_even_if_the_warning_signal_is_ignored(kernel_path):
    # A wall-clock limit far away, so only the CPU limit can end the cell.
    limits = SandboxLimits(cpu_seconds=2, cell_timeout_s=60, notebook_timeout_s=90)
    result = run(
        "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass",
        "print('never')",
        limits=limits,
    )

    assert (result.cell(0).status, result.cell(0).ename) == ("error", "DeadKernelError")
    assert result.cell(1).status == "not_run"
    assert result.error.startswith("The kernel died (killed: CPU time")


def test_file_size_and_disk_space_are_limited(kernel_path):
    limits = SandboxLimits(file_size_mb=1, scratch_mb=3, cell_timeout_s=5)
    result = run(
        "open('big', 'wb').write(b'x' * 2 * 1024**2)",
        """
        import errno, os
        written = 0
        try:
            for i in range(100):
                with open(f"part{i}", "wb") as f:
                    f.write(b"x" * 1024**2)
                written += 1
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
        assert written < 4, written
        for name in os.listdir():
            if name.startswith("part"):
                os.remove(name)
        """,
        "open('small', 'w').write('fits again')",
        limits=limits,
    )

    assert (result.cell(0).status, result.cell(0).ename) == ("error", "OSError")
    assert "File too large" in result.cell(0).evalue
    assert_ok(result, 1)
    assert_ok(result, 2)


def test_open_files_are_limited(kernel_path):
    limits = SandboxLimits(open_files=64)
    result = run(
        """
        import errno
        files = []
        try:
            while True:
                files.append(open("/dev/null"))
        except OSError as e:
            assert e.errno == errno.EMFILE, e
        assert len(files) < 64, len(files)
        for f in files:
            f.close()
        """,
        "print('alive')",
        limits=limits,
    )

    assert_ok(result, 0)
    assert_ok(result, 1)


def test_an_output_flood_is_truncated_without_filling_the_graders_memory(kernel_path):
    limits = SandboxLimits(output_bytes=10_000, cell_timeout_s=2)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    result = run("while True:\n    print('x' * 10**6)", "print('after')", limits=limits)

    peak_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    flood = result.notebook.cells[0].outputs
    kept = sum(len(o.get("text", "")) for o in flood if o.get("name") == "stdout")
    assert result.cell(0).status == "timeout"
    assert kept <= 10_000
    assert any("output truncated" in o.get("text", "") for o in flood)
    assert result.cell(1).status == "ok"
    assert peak_growth_mb < 100
