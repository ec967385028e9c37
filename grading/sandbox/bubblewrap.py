"""A Jupyter kernel for untrusted student code, isolated with bubblewrap.

Threat model: the code in a submission is hostile. It may try to read the platform's files or
secrets, reach the database or the broker, exhaust the machine (fork bomb, memory, disk, CPU,
output), kill the grader, or lie about its own results. The grader must survive, finish in
bounded time and report honestly. This module provides the isolation; ``execute.py`` drives
the kernel and checks its answers.

How one kernel is isolated (see ``bwrap_argv`` and ``BOOTSTRAP``):

* **Namespaces** (bubblewrap): new mount, PID, network, IPC and UTS namespaces. The network
  namespace has only a loopback interface of its own, so neither the internet nor services on
  the host's loopback (PostgreSQL, Redis) are reachable; ``--die-with-parent`` and
  ``--new-session`` tie the sandbox's life to the grader and stop terminal injection.
* **File system**: an empty root with read-only binds of only what CPython and ipykernel
  need (``/usr``, the ``/lib*`` links, the base interpreter, and the *runtime*: a virtualenv
  of its own with the course's packages, built from ``grading/runtimes/<name>/`` apart from
  the platform's ``.venv``, at ``/opt/runtime``; see ``runtimes.py``), a minimal
  ``/etc/passwd``, a fresh ``/proc`` and ``/dev``, the exercise's data files read-only at
  ``/run/files`` (linked into the working directory), and size-limited tmpfs at ``/tmp``
  (``HOME`` and cwd) and ``/dev/shm`` as the only writable places. The platform's source,
  its virtualenv (no Django, no settings), ``.env``, database files and ``/run`` (database
  and broker sockets) are not there.
* **Kernel transport**: ZeroMQ over ``ipc://`` (Unix sockets) in a private directory that is
  bind-mounted into the sandbox, because TCP on the host's loopback is exactly what the
  network namespace takes away.
* **Environment**: cleared; only PATH, HOME, LANG and a few harmless variables are set.
* **Identity**: student code never runs as root. If the grader is root (as on our CI and in
  containers), bubblewrap runs privileged and ``BOOTSTRAP`` drops to a uid leased for this one
  sandbox (``UidLease``) before any student code exists. That matters because the kernel does
  not enforce ``RLIMIT_NPROC`` for root, and because the process count is kept per uid: a
  uid of its own gives each sandbox a budget of its own. If the grader is not root,
  bubblewrap uses an unprivileged user namespace (uid 65534 inside) and the process limit is
  kept per namespace by the kernel (Linux >= 5.14 "ucounts").
* **Resources**: memory is what the sandbox really uses: the grader sums the private
  resident memory (and swap) of every process of the sandbox every 50 ms and kills the
  whole sandbox past ``SandboxLimits.memory_mb`` ("memory limit of N MB exceeded",
  ``execute.py``); pages shared with a fork server's preloaded modules are not counted.
  Address space is only a generous backstop (``address_space_mb``): scipy, scikit-learn and
  OpenBLAS map far more than they use. ``setrlimit`` inside the sandbox: CPU seconds,
  processes, open files, file size, no core dumps; the tmpfs sizes bound the disk.
  Wall-clock limits per cell and per notebook, and the output cap, are enforced by the
  grader (``execute.py``).

Why rlimits and not cgroups: on the machines we run on today (CI, the workers' containers)
memory and pids controllers are cgroup v1 hierarchies owned by the container runtime and
cgroup v2 has no delegated subtree, so there is nothing to put a sandbox into. The price is
that memory and CPU are limited per process, not per sandbox (see "Residual risks").

Kernels of the warm pool are forked by a sandboxed fork server instead of started by bwrap
one by one (``forkserver.py``, ``pool.py``); each still gets its own namespaces, rlimits, uid,
scratch and socket directory, and the risks below apply to them alike.

Residual risks (accepted for now):

* ``RLIMIT_CPU`` is per process: a submission can burn CPU in several processes until the
  wall-clock limit ends it. The memory guard samples every 50 ms, so a very fast
  allocation can pass the limit by what it allocates in that time (the address-space
  backstop bounds each process). A cgroup (``memory.max``, ``pids.max``, ``cpu.max``) per
  sandbox is the fix where cgroup v2 is delegated to the worker.
* No seccomp filter: the sandbox exposes the kernel's full syscall surface to an
  unprivileged process (including creating unprivileged user namespaces when the grader is
  root; when it is not, bwrap's ``--disable-userns`` forbids that).
* When the grader is not root, the socket directory stays writable by the student (same
  uid): ``RLIMIT_FSIZE`` bounds each file there but not their number, so the runtime base
  should live on a size-limited file system, and reconnects are disabled.
* ``/usr`` and the runtime are readable in full (not secret, but more than the minimum).
* A grader killed with SIGKILL leaves its kernel directory under the runtime base (the
  sandbox itself dies with it, ``--die-with-parent``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from grading.notebook.types import SandboxLimits
from grading.sandbox import runtimes
from grading.sandbox.runtimes import Runtime

log = logging.getLogger("grading.sandbox")

DEFAULT_LIMITS = SandboxLimits()

#: Where the sandbox finds the ZeroMQ sockets and its connection file.
SANDBOX_RUNTIME_DIR = "/run/kernel"
#: In the socket directory, the directory a graded copy of the kernel listens in.
COPY_DIR = "copy"
#: The only writable directory inside the sandbox: HOME, cwd and TMPDIR.
SANDBOX_SCRATCH_DIR = "/tmp"  # noqa: S108 (inside the sandbox: a private, size-limited tmpfs)
#: Uid of the student inside an unprivileged user namespace ("nobody").
NOBODY_UID = 65534
#: Host uids leased to sandboxes when the grader is root. Far above the ranges that
#: distributions, systemd and /etc/subuid hand out, and below 2**31 for tools that use int32.
SANDBOX_UID_BASE = 2_147_000_000
SANDBOX_UID_COUNT = 65_536
#: How long a kernel may take to start before we give up (a cold start takes ~0.5 s, see
#: bench/sandbox_startup.py). Not part of the notebook's time limit: a slow start is not the
#: student's fault.
STARTUP_TIMEOUT_S = 60.0
#: Largest single ZeroMQ frame the grader accepts from a kernel, and how many messages may
#: queue per socket; together they bound the memory a flooding kernel can make the grader
#: hold. A kernel sending a bigger frame is disconnected.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
RECEIVE_QUEUE_MESSAGES = 4
#: How long shutdown waits for the sandbox's processes to be gone before carrying on.
SHUTDOWN_TIMEOUT_S = 10.0
#: Extra threads and processes the kernel needs besides the student's (ipykernel's own
#: threads count towards RLIMIT_NPROC). Added to ``SandboxLimits.processes``.
KERNEL_OWN_TASKS = 16


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


class KernelStartError(RuntimeError):
    """The sandboxed kernel did not come up. An infrastructure failure, not the student's."""


# --------------------------------------------------------------------------------------------
# Availability
# --------------------------------------------------------------------------------------------


def bwrap_path() -> str | None:
    return shutil.which("bwrap") or (
        "/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None
    )


@functools.cache
def bubblewrap_available() -> bool:
    """True when bwrap exists *and* can build the namespaces we need here.

    A binary alone is not enough: containers and hardened hosts often forbid user or mount
    namespaces, and we would rather find out once, with the reason in the log, than fail on
    every submission. Cached for the life of the process.
    """
    bwrap = bwrap_path()
    if bwrap is None:
        return False
    probe = [bwrap, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, env={}, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("bubblewrap at %s cannot be run: %s", bwrap, exc)
        return False
    if done.returncode != 0:
        log.warning(
            "bubblewrap at %s cannot create a sandbox here: %s",
            bwrap,
            done.stderr.decode(errors="replace").strip(),
        )
        return False
    return True


def _grader_is_root() -> bool:
    return os.geteuid() == 0


def _namespace_args() -> list[str]:
    """Namespaces for the sandbox; a user namespace only when we are not root (see module)."""
    args = [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
    ]
    if not _grader_is_root():
        args += ["--unshare-user", "--disable-userns", "--uid", str(NOBODY_UID)]
        args += ["--gid", str(NOBODY_UID)]
    return args


# --------------------------------------------------------------------------------------------
# What the sandbox contains
# --------------------------------------------------------------------------------------------


def runtime_mounts(runtime: Runtime) -> list[tuple[str, str]]:
    """(host path, path inside) of what the kernel's Python needs, bound read-only.

    ``/usr`` holds the C library and friends; the runtime's virtualenv (ipykernel and the
    course's packages) appears at ``/opt/runtime``, not at its own path: a checkout under
    ``/tmp`` (a CI clone, say) would otherwise be hidden by every sandbox's private ``/tmp``.
    Its interpreter still finds it: Python locates ``pyvenv.cfg`` next to the executable it
    was started as. The base interpreter the virtualenv's ``python`` symlinks to (pyenv puts
    it under ``/root``) keeps its own path, as ``pyvenv.cfg`` and its rpath name it. The
    platform's own virtualenv is not there: student code sees no Django, no settings.
    """
    base = os.path.dirname(str(runtime.home).rstrip("/"))
    candidates = ["/usr", base, os.path.dirname(os.path.realpath(runtime.python))]
    real = sorted({os.path.realpath(p) for p in candidates})
    kept: list[str] = []
    for path in real:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return [(path, path) for path in kept] + [(str(runtime.prefix), SANDBOX_RUNTIME_PREFIX)]


SANDBOX_RUNTIME_PREFIX = runtimes.SANDBOX_PREFIX  # where the runtime appears inside
#: Where the exercise's data files appear inside (read-only), linked into the working dir.
SANDBOX_FILES_DIR = "/run/files"
#: Address space beyond the memory limit: libraries (scipy, scikit-learn, OpenBLAS) map far
#: more than they use, so the address-space limit is only a backstop; what is enforced is
#: the resident memory of the whole sandbox (execute.py's memory guard).
ADDRESS_SPACE_HEADROOM_MB = 3072


def sandbox_python(runtime: Runtime) -> str:
    """The kernel's interpreter, as the sandbox sees it."""
    return f"{SANDBOX_RUNTIME_PREFIX}/bin/python"


def _ancestors(paths: Iterable[str]) -> list[str]:
    """Every proper ancestor directory of ``paths`` except ``/``, parents first."""
    found: set[str] = set()
    for path in paths:
        parent = os.path.dirname(path.rstrip("/"))
        while parent not in ("/", ""):
            found.add(parent)
            parent = os.path.dirname(parent)
    return sorted(found, key=lambda p: (p.count("/"), p))


def _real_python() -> str:
    return os.path.realpath(sys.executable)


def _root_links() -> list[str]:
    """Recreate /bin, /lib, /lib64 ... as on the host: symlinks into /usr, or read-only binds."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{name}"
        if os.path.islink(host):
            args += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            args += ["--ro-bind", host, host]
    return args


def sandbox_environment(
    scratch: str = SANDBOX_SCRATCH_DIR, python_dir: str = f"{SANDBOX_RUNTIME_PREFIX}/bin"
) -> dict[str, str]:
    """The whole environment of the kernel: nothing inherited from the grader."""
    return {
        "PATH": f"{python_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "IPYTHONDIR": f"{scratch}/.ipython",
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_RUNTIME_DIR": f"{scratch}/.jupyter",
        "MPLCONFIGDIR": f"{scratch}/.matplotlib",
        # Figures go to the notebook (set before matplotlib is imported, also by a fork
        # server's preload), and BLAS/OpenMP stay single-threaded: no thread pool to size
        # per sandbox, nothing started at import that a fork could not copy.
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        # glibc reserves 64 MB of address space per thread arena; ipykernel runs several
        # threads, and that reservation would eat RLIMIT_AS without using any memory.
        "MALLOC_ARENA_MAX": "2",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def address_space_mb(limits: SandboxLimits) -> int:
    """The address-space backstop per process (see ADDRESS_SPACE_HEADROOM_MB)."""
    return max(limits.memory_mb * 4, limits.memory_mb + ADDRESS_SPACE_HEADROOM_MB)


def rlimits(limits: SandboxLimits) -> list[tuple[str, int, int]]:
    """(resource name, soft, hard) applied inside the sandbox before the kernel starts.

    Soft == hard so student code cannot raise them. CPU gets one second between soft (SIGXCPU,
    catchable) and hard (SIGKILL) so a well-behaved process can die cleanly.
    """
    mb = 1024 * 1024
    return [
        ("RLIMIT_AS", address_space_mb(limits) * mb, address_space_mb(limits) * mb),
        ("RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + 1),
        ("RLIMIT_NPROC", limits.processes + KERNEL_OWN_TASKS, limits.processes + KERNEL_OWN_TASKS),
        ("RLIMIT_NOFILE", limits.open_files, limits.open_files),
        ("RLIMIT_FSIZE", limits.file_size_mb * mb, limits.file_size_mb * mb),
        ("RLIMIT_CORE", 0, 0),
        ("RLIMIT_MEMLOCK", 0, 0),
        ("RLIMIT_MSGQUEUE", 0, 0),
    ]


#: Runs first inside the sandbox, as its own ``python -I -c`` program, then becomes the kernel
#: (``runpy``, no second exec: one interpreter start instead of two). Order matters: limits
#: and the uid drop happen before ipykernel or any student code is imported. Dropping the
#: capability bounding set (needs CAP_SETPCAP, so before setuid) is belt and braces: bwrap
#: already set no_new_privs, so nothing can regain privileges through exec anyway.
BOOTSTRAP = r"""
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
for name, soft, hard in cfg["rlimits"]:
    resource.setrlimit(getattr(resource, name), (soft, hard))
uid = cfg["drop_to_uid"]
if uid is not None:
    import ctypes
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    cap = 0
    while prctl(24, cap, 0, 0, 0) == 0:  # PR_CAPBSET_DROP until EINVAL past CAP_LAST_CAP
        cap += 1
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        sys.exit("bootstrap: could not drop privileges")
os.umask(0o077)
os.chdir(cfg["cwd"])
seed, cache = cfg.get("mpl_seed"), os.environ.get("MPLCONFIGDIR")
if seed and cache and os.path.isdir(seed):
    import shutil
    shutil.copytree(seed, cache, dirs_exist_ok=True)  # the runtime's font cache
sys.argv = cfg["argv"]
import runpy
runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
"""


def kernel_argv(connection_file: str) -> list[str]:
    """ipykernel's own arguments; history is off (it would open an SQLite file per kernel)."""
    return [
        "ipykernel_launcher",
        "-f",
        connection_file,
        "--HistoryManager.enabled=False",
        "--IPKernelApp.quiet=True",
    ]


def bwrap_argv(
    *,
    bwrap: str,
    runtime: Runtime,
    limits: SandboxLimits,
    host_runtime_dir: str,
    passwd_file: str,
    group_file: str,
    drop_to_uid: int | None,
    info_fd: int | None = None,
    files_dir: str | None = None,
) -> list[str]:
    """The complete command line that starts one sandboxed kernel. Pure; see module doc.

    ``info_fd``: bwrap writes ``{"child-pid": N}`` there, the host pid of the sandbox's PID 1.
    """
    python = sandbox_python(runtime)  # the runtime's python; its symlink target is bound too
    argv = sandbox_argv(
        bwrap=bwrap,
        runtime=runtime,
        scratch_mb=limits.scratch_mb,
        host_runtime_dir=host_runtime_dir,
        passwd_file=passwd_file,
        group_file=group_file,
        info_fd=info_fd,
        files_dir=files_dir,
    )
    config = {
        "rlimits": rlimits(limits),
        "drop_to_uid": drop_to_uid,
        "cwd": SANDBOX_SCRATCH_DIR,
        "argv": kernel_argv(f"{SANDBOX_RUNTIME_DIR}/connection.json"),
        "mpl_seed": f"{SANDBOX_RUNTIME_PREFIX}/{runtimes.MPL_CACHE_DIR}",
    }
    argv += ["--", python, "-I", "-c", BOOTSTRAP, json.dumps(config)]
    return argv


def sandbox_argv(
    *,
    bwrap: str,
    runtime: Runtime,
    scratch_mb: int,
    host_runtime_dir: str,
    passwd_file: str,
    group_file: str,
    info_fd: int | None = None,
    files_dir: str | None = None,
) -> list[str]:
    """bwrap and its options, up to the program: the sandbox of a cold kernel and of the
    fork server (``forkserver.py``) alike. ``files_dir``: a host directory (owned by the
    grader) bound read-only at SANDBOX_FILES_DIR, where the grader puts the exercise's data
    files before the notebook runs; the fork server gets an empty mount point there instead,
    over which each kernel it forks binds its own."""
    argv = [bwrap, *_namespace_args(), "--clearenv"]
    for key, value in sandbox_environment().items():
        argv += ["--setenv", key, value]
    mounts = runtime_mounts(runtime)
    # bwrap creates missing parents of mount points as 0700 root; the student must traverse.
    parents = [inside for _, inside in mounts] + ["/etc/passwd", SANDBOX_RUNTIME_DIR]
    for parent in _ancestors([*parents, SANDBOX_FILES_DIR]):
        argv += ["--perms", "0755", "--dir", parent]
    for path, inside in mounts:
        argv += ["--ro-bind", path, inside]
    argv += _root_links()
    argv += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    argv += ["--ro-bind-try", "/etc/localtime", "/etc/localtime"]
    argv += ["--ro-bind", passwd_file, "/etc/passwd", "--ro-bind", group_file, "/etc/group"]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    scratch_bytes = scratch_mb * 1024 * 1024
    argv += ["--size", str(scratch_bytes), "--perms", "1777", "--tmpfs", SANDBOX_SCRATCH_DIR]
    # A private /dev/shm, so multiprocessing's locks and joblib work (same size bound).
    argv += ["--size", str(scratch_bytes), "--perms", "1777", "--tmpfs", "/dev/shm"]  # noqa: S108
    argv += ["--bind", host_runtime_dir, SANDBOX_RUNTIME_DIR]
    if files_dir is not None:
        argv += ["--ro-bind", files_dir, SANDBOX_FILES_DIR]
    else:
        argv += ["--perms", "0755", "--dir", SANDBOX_FILES_DIR]
    argv += ["--chdir", SANDBOX_SCRATCH_DIR]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    return argv


def unsandboxed_argv(
    *, runtime: Runtime, limits: SandboxLimits, runtime_dir: str, scratch_dir: str
) -> list[str]:
    """Development fallback: the same bootstrap (limits, clean env) without any isolation."""
    config = {
        "rlimits": rlimits(limits),
        "drop_to_uid": None,
        "cwd": scratch_dir,
        "argv": kernel_argv(f"{runtime_dir}/connection.json"),
        "mpl_seed": str(runtime.mpl_cache),
    }
    return [str(runtime.python), "-I", "-c", BOOTSTRAP, json.dumps(config)]


# --------------------------------------------------------------------------------------------
# Uids for sandboxes run by a root grader
# --------------------------------------------------------------------------------------------


class UidLease:
    """A host uid used by exactly one live sandbox, held with an ``flock``.

    ``RLIMIT_NPROC`` counts every process of a uid on the host, so sandboxes sharing a uid
    would share one process budget and a fork bomb in one would break the others. The lock
    goes away with the file descriptor, also when the grader crashes; lock files are kept
    (deleting them would race with another grader opening the same file).
    """

    def __init__(self, lock_dir: Path) -> None:
        self.uid: int | None = None
        self._fd: int | None = None
        self._lock_dir = lock_dir

    def acquire(self, attempts: int = 64) -> int:
        _private_dir(self._lock_dir)
        for offset in random.sample(range(SANDBOX_UID_COUNT), attempts):
            uid = SANDBOX_UID_BASE + offset
            fd = os.open(self._lock_dir / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return uid
        raise KernelStartError("no free sandbox uid (too many sandboxes running?)")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
        self._fd = self.uid = None


def write_identity_files(directory: Path, uid: int) -> tuple[Path, Path]:
    """The sandbox's /etc/passwd and /etc/group: root, and the student with this uid."""
    passwd = directory / "passwd"
    passwd.write_text(
        "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
        f"student:x:{uid}:{uid}:student:{SANDBOX_SCRATCH_DIR}:/usr/sbin/nologin\n"
    )
    group = directory / "group"
    group.write_text(f"root:x:0:\nstudent:x:{uid}:\n")
    for f in (passwd, group):
        os.chmod(f, 0o644)
    return passwd, group


def _private_dir(path: Path) -> Path:
    """Create (or check) a directory only we can enter; refuse one planted by someone else."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if not os.path.isdir(path) or os.path.islink(path) or info.st_uid != os.geteuid():
        raise KernelStartError(f"{path} is not a private directory of this user")
    os.chmod(path, 0o700)
    return path


def _pidfd_of_sandbox(info_fd: int) -> int | None:
    """A pidfd for the sandbox's PID 1, from bwrap's --info-fd (written before the kernel
    starts). A pidfd, not a pid: it cannot come to mean another process if that one exits."""
    os.set_blocking(info_fd, False)
    try:
        info = json.loads(os.read(info_fd, 4096))
        return os.pidfd_open(int(info["child-pid"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("could not find the sandbox's PID 1 (%s); shutdown will not wait for it", exc)
        return None


def pidfd_pid(pidfd: int) -> int | None:
    """The pid a pidfd refers to (None once that process is gone)."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}") as f:
            for line in f:
                if line.startswith("Pid:"):
                    pid = int(line.split()[1])
                    return pid if pid > 0 else None
    except (OSError, ValueError):
        return None
    return None


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (host pids), from /proc's children lists."""
    found, todo = [], [root]
    while todo and len(found) < 4096:
        pid = todo.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
            except (OSError, ValueError):
                continue
    return found


def anon_memory_kb(pid: int) -> int:
    """RssAnon + VmSwap of one process, in KB (0 once it is gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("RssAnon:", "VmSwap:")):
                    total += int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return total


def private_memory_kb(pid: int) -> int:
    """Private resident memory (clean + dirty) and swap of one process, in KB."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:", "Swap:")):
                    total += int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return total


async def _wait_readable(fd: int, timeout: float) -> None:
    """Wait until ``fd`` polls readable (a pidfd: its process has exited)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.add_reader(fd, lambda: done.done() or done.set_result(None))
    try:
        await asyncio.wait_for(done, timeout)
    finally:
        loop.remove_reader(fd)


def default_runtime_base() -> Path:
    """Parent of the per-kernel directories. Short, because a Unix socket path has 108 bytes."""
    return Path(tempfile.gettempdir()) / f"grading-sandbox-{os.geteuid()}"


# --------------------------------------------------------------------------------------------
# The kernel
# --------------------------------------------------------------------------------------------


def bounded_zmq_context(*, reconnect: bool) -> zmq.asyncio.Context:
    """A ZeroMQ context whose sockets bound what a kernel can make the grader hold.

    A frame over MAX_MESSAGE_BYTES is refused before it is allocated and costs the kernel
    its connection; at most RECEIVE_QUEUE_MESSAGES wait per socket (the backlog stays in the
    kernel's buffers, not ours). Reconnecting after such a drop is only safe once the socket
    directory is out of the student's reach (``reconnect``): otherwise a reconnect could
    follow a symlink planted there to a socket on the host.
    """
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE_MESSAGES)
    context.setsockopt(zmq.LINGER, 0)
    if not reconnect:
        context.setsockopt(zmq.RECONNECT_IVL, -1)
    return context


class _SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that runs our command line and writes two connection files.

    The grader's copy names the sockets by their host path; the sandbox's copy (same key and
    "ports") by the path of the same directory inside the sandbox.
    """

    def __init__(self, *, command: list[str], sandbox_ip: str | None, owner: int | None, **kw):
        super().__init__(**kw)
        self._command = command
        self._sandbox_ip = sandbox_ip
        self._owner = owner
        # Skips the kernelspec search on disk. Interrupts must be messages on the control
        # socket (see SandboxedKernel.interrupt): a signal to our child would only hit bwrap.
        self._kernel_spec = KernelSpec(
            argv=command,
            display_name="Python 3 (sandbox)",
            language="python",
            name="python3",
            interrupt_mode="message",
        )

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return list(self._command)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        host_file = Path(self.connection_file)
        info = json.loads(host_file.read_text())
        if self._sandbox_ip is not None:
            info["ip"] = self._sandbox_ip
        sandbox_file = host_file.with_name("connection.json")
        if sandbox_file != host_file:
            sandbox_file.write_text(json.dumps(info))
        if self._owner is not None:
            os.chown(sandbox_file, self._owner, self._owner)
        os.chmod(sandbox_file, 0o400)


@dataclass
class StartupTimings:
    """Where a cold start spends its time (seconds); the warm-pool work needs these numbers."""

    prepare_s: float = 0.0  # directories, uid lease, stderr file
    spawn_s: float = 0.0  # command line, connection files, until every kernel socket exists
    connect_s: float = 0.0  # from connecting until kernel_info answered on all channels

    @property
    def total_s(self) -> float:
        return self.prepare_s + self.spawn_s + self.connect_s


class SandboxedKernel:
    """One ipykernel in its own sandbox, used for one submission and then thrown away.

    ``start()`` and the use of ``client`` are separate steps so a pool can start kernels ahead
    of time (the next issue) and hand one out per submission. Always ``shutdown()``: it kills
    the whole sandbox (PID namespace) and removes its directory.

    A pool must start kernels from a thread that outlives them: bwrap's --die-with-parent is
    PR_SET_PDEATHSIG, which fires when the *thread* that spawned bwrap exits. The client's
    sockets belong to the event loop that started the kernel.
    """

    def __init__(
        self,
        limits: SandboxLimits = DEFAULT_LIMITS,
        *,
        runtime: Runtime | None = None,
        sandboxed: bool = True,
        runtime_base: Path | None = None,
    ) -> None:
        self.limits = limits
        self.runtime = runtime if runtime is not None else runtimes.get()
        self.sandboxed = sandboxed
        self.timings = StartupTimings()
        self.km: _SandboxKernelManager | None = None
        self.client: AsyncKernelClient | None = None
        self._runtime_base = runtime_base or default_runtime_base()
        self._dir: Path | None = None
        self._uid_lease: UidLease | None = None
        self._context: zmq.asyncio.Context | None = None
        self._stderr: Any = None
        self._sandbox_pidfd: int | None = None  # the sandbox's PID 1 (bwrap's init)
        self._info_read: int | None = None  # bwrap's --info-fd, until read

    @property
    def preloaded(self) -> tuple[str, ...]:
        """Modules this kernel had imported before it started (a fork server's): none."""
        return ()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Start the kernel and connect ``client``. On any failure the sandbox is cleaned up
        and KernelStartError (or SandboxUnavailable) is raised, with the kernel's stderr."""
        if self.sandboxed and not bubblewrap_available():
            raise SandboxUnavailable("bubblewrap is not usable on this machine")
        try:
            await asyncio.wait_for(self._start(), timeout)
        except (KernelStartError, SandboxUnavailable):
            await self.shutdown()
            raise
        except TimeoutError:
            detail = self.stderr_tail()
            await self.shutdown()
            raise KernelStartError(f"the kernel did not start in {timeout:g} s{detail}") from None
        except Exception as exc:
            detail = self.stderr_tail()
            await self.shutdown()
            raise KernelStartError(f"the kernel did not start: {exc}{detail}") from exc
        except BaseException:  # cancelled: still leave nothing behind
            await self.shutdown()
            raise

    async def _start(self) -> None:
        t0 = time.monotonic()
        ipc_dir, owner = self._prepare()
        t1 = time.monotonic()
        await self._launch(ipc_dir, owner)
        await self._wait_for_sockets(ipc_dir)
        if self._info_read is not None:  # bwrap wrote its --info-fd before the kernel started
            self._sandbox_pidfd = _pidfd_of_sandbox(self._info_read)
            os.close(self._info_read)
            self._info_read = None
        self.timings.spawn_s = time.monotonic() - t1
        self.timings.prepare_s = t1 - t0
        t2 = time.monotonic()
        await self._connect(ipc_dir, owner)
        self.timings.connect_s = time.monotonic() - t2
        log.debug("sandboxed kernel started: %s", self.timings)

    def _prepare(self) -> tuple[Path, int | None]:
        """The kernel's private directory, its socket directory and (root grader) its uid."""
        base = _private_dir(self._runtime_base)
        self._dir = Path(tempfile.mkdtemp(prefix="k", dir=base))
        ipc_dir = self._dir / "ipc"
        ipc_dir.mkdir(mode=0o700)
        self._make_files_dir()
        owner: int | None = None
        if self.sandboxed and _grader_is_root():
            self._uid_lease = UidLease(base / "uids")
            owner = self._uid_lease.acquire()
            os.chown(ipc_dir, owner, owner)
        self._make_copy_dir(ipc_dir, owner)
        # The kernel's stdout/stderr must not reach the grader's own (a submission could flood
        # or forge the worker's log). stderr goes to a file for start-up diagnostics; the
        # file size limit bounds it.
        self._stderr = open(self._dir / "kernel.stderr", "wb")  # noqa: SIM115 (closed in shutdown)
        return ipc_dir, owner

    async def _launch(self, ipc_dir: Path, owner: int | None) -> None:
        """Start the sandbox (bwrap) with the kernel in it; returns once the process runs."""
        info_read, info_write = os.pipe()  # bwrap's --info-fd, see _pidfd_of_sandbox
        self._info_read = info_read  # read once the sockets exist (closed by _start/shutdown)
        write_end_open = True
        try:
            self.km = self._kernel_manager(ipc_dir, owner, info_write)
            # bwrap gets no secrets to pass on even by mistake (it clears the environment too);
            # the unsandboxed kernel gets the same clean environment as a sandboxed one.
            assert self._dir is not None
            env = {} if self.sandboxed else sandbox_environment(str(self._dir / "scratch"))
            try:
                await self.km.start_kernel(
                    env=env,
                    cwd=str(self._dir),
                    stdout=subprocess.DEVNULL,
                    stderr=self._stderr,
                    pass_fds=(info_write,) if self.sandboxed else (),
                )
            finally:
                os.close(info_write)  # bwrap has its own copy
                write_end_open = False
        finally:
            if write_end_open:
                os.close(info_write)
            if not self.sandboxed:
                os.close(info_read)
                self._info_read = None

    async def _connect(self, ipc_dir: Path, owner: int | None) -> None:
        """Connect ``client`` and wait until the kernel answers; then lock its directory."""
        assert self.km is not None
        self.client = self.km.client(context=self._context)
        # No stdin (input() is refused) and no heartbeat thread: liveness is the process's.
        self.client.start_channels(stdin=False, hb=False)
        await self._wait_until_ready()
        self.client.allow_stdin = False
        if owner is not None:
            # The kernel is up (it answered kernel_info, so it is done with its files); from
            # now on the student's uid cannot add, remove or replace anything in the
            # directory the grader connects through, and reconnecting there is safe.
            os.chown(ipc_dir, os.geteuid(), os.getegid())
            # Traversable, for the graded copy's own directory in it (graded_copy.py).
            os.chmod(ipc_dir, 0o711)  # noqa: S103 (traversable, neither listable nor writable)

    def _kernel_manager(
        self, ipc_dir: Path, owner: int | None, info_fd: int
    ) -> _SandboxKernelManager:
        assert self._dir is not None
        if self.sandboxed:
            command = self._sandbox_command(owner, info_fd)
            sandbox_ip: str | None = f"{SANDBOX_RUNTIME_DIR}/kernel"
            connection_file = ipc_dir / "grader.json"
        else:
            scratch = self._dir / "scratch"
            scratch.mkdir(mode=0o700)
            command = unsandboxed_argv(
                runtime=self.runtime,
                limits=self.limits,
                runtime_dir=str(ipc_dir),
                scratch_dir=str(scratch),
            )
            sandbox_ip = None
            connection_file = ipc_dir / "connection.json"
        # Reconnects are safe where the socket directory is locked after start (see _start).
        self._context = bounded_zmq_context(reconnect=owner is not None or not self.sandboxed)
        return _SandboxKernelManager(
            command=command,
            sandbox_ip=sandbox_ip,
            owner=owner,
            transport="ipc",
            ip=str(ipc_dir / "kernel"),
            connection_file=str(connection_file),
            context=self._context,
        )

    def _sandbox_command(self, owner: int | None, info_fd: int) -> list[str]:
        assert self._dir is not None
        bwrap = bwrap_path()
        if bwrap is None:
            raise SandboxUnavailable("bwrap not found")
        passwd, group = write_identity_files(self._dir, owner if owner is not None else NOBODY_UID)
        return bwrap_argv(
            bwrap=bwrap,
            runtime=self.runtime,
            limits=self.limits,
            files_dir=str(self.files_dir),
            host_runtime_dir=str(self._dir / "ipc"),
            passwd_file=str(passwd),
            group_file=str(group),
            drop_to_uid=owner,
            info_fd=info_fd,
        )

    async def _wait_for_sockets(self, ipc_dir: Path) -> None:
        """Connect only once the kernel has bound all five sockets (we do not reconnect)."""
        assert self.km is not None
        info = self.km.get_connection_info()
        ports = [info[f"{c}_port"] for c in ("shell", "iopub", "stdin", "control", "hb")]
        paths = [Path(f"{ipc_dir / 'kernel'}-{port}") for port in ports]
        delay = 0.002
        while not all(p.exists() for p in paths):
            if not await self.is_alive():
                raise KernelStartError(f"the kernel exited during start-up{self.stderr_tail()}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def _wait_until_ready(self) -> None:
        """Until kernel_info is answered and IOPub delivers (its subscription is live).

        jupyter_client's ``wait_for_ready`` checks the same, then always spends another 0.2 s
        draining IOPub: a third of a cold start. The start-up messages read here are noise.
        """
        kc = self.client
        assert kc is not None
        msg_id = kc.kernel_info()
        poller = zmq.asyncio.Poller()
        poller.register(kc.shell_channel.socket, zmq.POLLIN)
        poller.register(kc.iopub_channel.socket, zmq.POLLIN)
        reply: dict[str, Any] | None = None
        iopub_live = False
        while reply is None or not iopub_live:
            events = dict(await poller.poll(100))
            if not events and not await self.is_alive():
                raise KernelStartError(f"the kernel exited during start-up{self.stderr_tail()}")
            if kc.iopub_channel.socket in events:
                with contextlib.suppress(Empty):
                    await kc.iopub_channel.get_msg(timeout=0)
                    iopub_live = True
            if kc.shell_channel.socket in events:
                with contextlib.suppress(Empty):
                    msg = await kc.shell_channel.get_msg(timeout=0)
                    if msg["parent_header"].get("msg_id") == msg_id:
                        reply = msg
        kc._handle_kernel_info_reply(reply)  # adopts the kernel's protocol version

    async def is_alive(self) -> bool:
        return self.km is not None and bool(await self.km.is_alive())

    # -- the graded copy (graded_copy.py) ---------------------------------------------------

    def _make_copy_dir(self, ipc_dir: Path, owner: int | None) -> None:
        """The one directory of the socket directory the student's uid may write to: where
        the kernel and its graded copy serve cells (direct.py). Whatever is there, the
        grader opens only a socket, never following a link (``direct.connect``)."""
        copy_dir = ipc_dir / COPY_DIR
        copy_dir.mkdir(mode=0o700)
        if owner is not None:
            os.chown(copy_dir, owner, owner)

    def copy_dir_writable(self, writable: bool) -> None:
        """The copy directory is the student's uid's only while the grader's code binds a
        socket in it (the kernel's at set-up, a graded copy's as it is made); the rest of
        the time it is the grader's, so no student code can fill the grader's disk there."""
        uid = self._uid_lease.uid if self._uid_lease is not None else None
        if self._dir is None or uid is None:
            return
        owner = uid if writable else os.geteuid()
        with contextlib.suppress(OSError):
            os.chown(self._dir / "ipc" / COPY_DIR, owner, uid if writable else os.getegid())

    def copy_socket(self, name: str) -> tuple[str, str] | None:
        """Where the kernel, or a graded copy of it, serves cells (direct.py), by name:
        (path inside, path here)."""
        if self._dir is None:
            return None
        outside = str(self._dir / "ipc" / COPY_DIR / name)
        if len(outside.encode()) > 100:  # a Unix socket's path has at most 108 bytes
            return None
        inside = f"{SANDBOX_RUNTIME_DIR}/{COPY_DIR}/{name}" if self.sandboxed else outside
        return inside, outside

    # -- data files -----------------------------------------------------------------------

    @property
    def files_dir(self) -> Path:
        """The host directory bound read-only at SANDBOX_FILES_DIR (unsandboxed: itself)."""
        assert self._dir is not None
        return self._dir / "files"

    def _make_files_dir(self) -> None:
        self.files_dir.mkdir(mode=0o755)

    def put_files(self, files: dict[str, bytes]) -> list[str]:
        """Write the exercise's data files where the kernel sees them, read-only to it
        (owned by the grader); returns the top-level names to link into its working
        directory. Paths were checked when the files were stored; checked again here."""
        names: list[str] = []
        root = self.files_dir
        for relative, content in sorted(files.items()):
            parts = Path(relative).parts
            unsafe = any(p in ("..", ".", "") for p in parts)
            if not parts or Path(relative).is_absolute() or unsafe:
                raise ValueError(f"unsafe data file path: {relative!r}")
            target = root.joinpath(*parts)
            for parent in reversed(target.parents):
                if parent == root or root not in parent.parents:
                    continue
                if not parent.exists():
                    parent.mkdir(mode=0o755)
            target.write_bytes(content)
            os.chmod(target, 0o444)
            if parts[0] not in names:
                names.append(parts[0])
        return names

    def files_path_inside(self) -> str:
        return SANDBOX_FILES_DIR if self.sandboxed else str(self.files_dir)

    # -- memory ---------------------------------------------------------------------------

    def sandbox_root_pid(self) -> int | None:
        """Host pid of the sandbox's first process (its PID 1; unsandboxed: the kernel)."""
        if self._sandbox_pidfd is not None:
            return pidfd_pid(self._sandbox_pidfd)
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def memory_mb(self) -> float:
        """Memory the sandbox's processes use of their own (private resident pages and swap:
        pages shared with a fork server's preloaded modules are not counted). Exact, but
        it walks every page table (~10 ms for a data-science kernel): see anon_memory_mb."""
        root = self.sandbox_root_pid()
        if root is None:
            return 0.0
        return sum(private_memory_kb(pid) for pid in process_tree(root)) / 1024

    def anon_memory_mb(self) -> float:
        """Anonymous resident memory and swap of the sandbox's processes (cheap: a line of
        /proc/<pid>/status each). Its growth since the kernel started is what the student's
        code allocated; a fork of the kernel counts its parent's pages again (on the safe
        side)."""
        root = self.sandbox_root_pid()
        if root is None:
            return 0.0
        return sum(anon_memory_kb(pid) for pid in process_tree(root)) / 1024

    def kill_now(self) -> None:
        """SIGKILL to the whole sandbox at once (shutdown cleans up later)."""
        if self._sandbox_pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._sandbox_pidfd, signal.SIGKILL)
            return
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()

    def exit_status(self) -> int | None:
        """The sandbox's exit status once it has ended (bwrap passes on the kernel's)."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "returncode", None)

    def interrupt(self) -> None:
        """Ask the kernel to raise KeyboardInterrupt in the running cell.

        Sent as an ``interrupt_request`` on the control channel: a signal from the grader
        would only reach bwrap, and the kernel is not a child of ours. It needs the kernel's
        control thread to cooperate; the caller must be ready to kill the sandbox instead.
        """
        if self.client is not None:
            with contextlib.suppress(Exception):
                msg = self.client.session.msg("interrupt_request", content={})
                self.client.control_channel.send(msg)

    async def shutdown(self) -> None:
        """Kill the sandbox at once and clean up. Idempotent; never raises.

        No polite shutdown_request: the kernel is untrusted and thrown away. Killing the
        sandbox's PID 1 takes its PID namespace, so every process the student started, with
        it; and as the kernel lets a namespace's PID 1 finish exiting only once all the others
        are gone, waiting for it means that when this returns nothing of the sandbox runs
        (and its uid can be leased again).
        """
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.stop_channels()
            self.client = None
        if self._info_read is not None:
            os.close(self._info_read)
            self._info_read = None
        if self._sandbox_pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._sandbox_pidfd, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await _wait_readable(self._sandbox_pidfd, SHUTDOWN_TIMEOUT_S)
            os.close(self._sandbox_pidfd)
            self._sandbox_pidfd = None
        if self.km is not None:
            with contextlib.suppress(Exception):
                if self.km.has_kernel:
                    await self.km.shutdown_kernel(now=True)
            with contextlib.suppress(Exception):
                await self.km.cleanup_resources()
            self.km = None
        if self._context is not None:
            self._context.destroy(linger=0)
            self._context = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._uid_lease is not None:
            self._uid_lease.release()
            self._uid_lease = None

    async def __aenter__(self) -> SandboxedKernel:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    # -- diagnostics ----------------------------------------------------------------------

    def stderr_tail(self, limit: int = 2000) -> str:
        """The end of the kernel's stderr, for start-up errors (before student code ran)."""
        if self._dir is None:
            return ""
        try:
            with open(self._dir / "kernel.stderr", "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - limit))
                text = f.read().decode(errors="replace").strip()
        except OSError:
            return ""
        return f"\n--- kernel stderr ---\n{text}" if text else ""
