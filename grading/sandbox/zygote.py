"""The fork server ("zygote") of the warm kernel pool. Runs INSIDE the bubblewrap sandbox.

This file is a standalone program, not a module of the grader: ``forkserver.py`` reads its
text and runs it as ``python -I - <config>`` (the program on standard input, so the
sandbox's command lines do not carry it) inside a sandbox built like a cold
kernel's (see ``sandbox.bwrap_argv``), so it may import only the standard library and
ipykernel. It runs as root *of the sandbox* (privileged bubblewrap, no user namespace) and
never runs student code itself: it imports ipykernel once, with no thread started, and then
forks one child per request. Each child, before any student code exists:

1. leaves the zygote's namespaces: new mount, PID, network, IPC and UTS namespaces
   (``unshare``), so two kernels forked from one zygote share neither processes, loopback
   ports, abstract sockets, SysV IPC nor mounts;
2. forks again (a new PID namespace takes effect for children only): the grandchild is PID 1,
   the sandbox's init (like bwrap's own), which mounts a fresh ``/proc`` for its namespace, a
   fresh ``devpts``, its own size-limited tmpfs on ``/tmp``, its own ``/etc/passwd`` and
   ``/etc/group``, and its own socket directory over ``/run/kernel`` (hiding every other
   kernel's), brings up its loopback, drops to ``nobody`` and from then on only reaps;
3. the init forks the kernel, which starts a new session, applies the rlimits of this
   submission, raises its OOM score, drops every capability and switches to the uid leased
   for this one kernel, clears the zygote's bookkeeping, and only then becomes the kernel
   (``IPKernelApp``) - creating its ZeroMQ context and threads after the fork.

Protocol on the control socket (SOCK_SEQPACKET, one JSON object per message):

* zygote -> grader ``{"ready": true}`` once ipykernel is imported;
* grader -> zygote ``{"op": "spawn", "id": N, ...}`` with the kernel's stderr file as
  SCM_RIGHTS; zygote -> grader ``{"id": N, "ok": true}`` with a pidfd of the new sandbox's
  init (killing it ends the whole PID namespace), or ``{"id": N, "error": "..."}``;
* zygote -> grader ``{"exited": N, "status": S}`` when that sandbox's init has exited;
  ``S`` is the kernel's exit status, 128 + signal number when it was killed (as bwrap does).

The zygote exits when the grader closes its end of the socket (and bwrap's
``--die-with-parent`` kills it, with every kernel it forked, if the grader dies).
"""

import contextlib
import ctypes
import errno
import fcntl
import gc
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_NAME = 15
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
SIOCSIFFLAGS = 0x8914
IFF_UP_LOOPBACK_RUNNING = 0x1 | 0x8 | 0x40
NOBODY = 65534
MAX_MESSAGE = 65536

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None):
    check(
        libc.mount(
            source and source.encode(),
            target.encode(),
            fstype and fstype.encode(),
            flags,
            data and data.encode(),
        ),
        f"mount {target}",
    )


def bind(source, target, flags=0):
    """A bind mount, then a remount that applies ``flags`` (bind ignores them at first)."""
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | flags)


# --------------------------------------------------------------------------------------------
# The zygote
# --------------------------------------------------------------------------------------------

CONFIG = {}  # from the command line, see forkserver.ForkServer._config
CONTROL = None  # the control socket to the grader
SANDBOXES = {}  # pid of a sandbox's init (our namespace) -> request id
PRELOAD_FAILED = {}  # runtime modules that did not import -> why


def send(message, fds=()):
    ancillary = []
    if fds:
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))]
    CONTROL.sendmsg([json.dumps(message).encode()], ancillary)


def preload():
    """Import what every kernel needs, and warm the caches a kernel start would fill.

    Then the runtime's own modules (pandas, scikit-learn ...), one by one: one that fails
    to import is reported (the grader logs it once) and kernels import it themselves; one
    that starts a thread is a fork hazard, so the zygote stops and the grader starts it
    again without the runtime's modules. Returns {module: error} of the failed ones."""
    for name in CONFIG["preload"]:
        importlib.import_module(name)
    failed = {}
    seed, cache = CONFIG.get("mpl_seed"), CONFIG["environment"].get("MPLCONFIGDIR")
    if seed and cache and os.path.isdir(seed):
        import shutil

        shutil.copytree(seed, cache, dirs_exist_ok=True)  # the runtime's font cache
    os.environ.update(CONFIG["environment"])  # e.g. MPLBACKEND, read when matplotlib loads
    for name in CONFIG.get("extra_preload", ()):
        try:
            importlib.import_module(name)
        except Exception as exc:  # reported to the grader, not fatal
            failed[name] = f"{type(exc).__name__}: {exc}"
        if threading.active_count() != 1:
            sys.exit(f"zygote: preloading {name} started threads: {threading.enumerate()}")
    from ipykernel.kernelapp import IPKernelApp

    # argparse and the regular expressions traitlets compiles for the command line: done
    # here once instead of in every kernel (a throwaway app, never initialised).
    IPKernelApp().parse_command_line(CONFIG["kernel_argv"][1:])
    warm_up_tracebacks()
    scan_modules_once()  # last: every module a kernel starts with is loaded by now
    if threading.active_count() != 1:
        sys.exit(f"zygote: importing started threads: {threading.enumerate()}")
    gc.collect()
    gc.freeze()  # keep the collector from touching (and so copying) the shared pages
    return failed


class ModulesScanned:
    """What ipykernel and IPython see as ``sys`` while they list the loaded modules at a
    kernel's start (see ``scan_modules_once``): the real module, except for an empty
    ``modules``."""

    modules = {}

    def __getattr__(self, name):
        return getattr(sys, name)


def scan_modules_once():
    """A kernel's start lists every loaded module twice: ipykernel the files (for its
    debugger's "just my code" rules) and IPython the names (for ``%reset -f`` with
    ``aggressive``). With a runtime's modules preloaded that is thousands of modules, each
    touched (a private copy of its memory page in every kernel), some with a lazy
    ``__getattr__``: ~25 ms of CPU per kernel. Both lists are made here once instead and
    every kernel gets them, unchanged; a kernel that loaded other modules on its way
    lists the names itself, as IPython would."""
    from ipykernel import ipkernel
    from IPython.core import shellapp

    files = [
        module.__file__
        for module in sys.modules.copy().values()
        if hasattr(module, "__file__") and module.__file__
    ]
    names = frozenset(sys.modules)
    stock_kernel_init = ipkernel.IPythonKernel.__init__
    stock_init_code = shellapp.InteractiveShellApp.init_code

    @contextlib.contextmanager
    def modules_hidden(module):
        module.sys = ModulesScanned()
        try:
            yield
        finally:
            module.sys = sys

    def kernel_init(self, **kwargs):
        with modules_hidden(ipkernel):
            stock_kernel_init(self, **kwargs)
        self._kernel_modules = files
        debugger = getattr(self, "debugger", None)
        if debugger is not None:
            debugger.kernel_modules = files

    def init_code(self):
        with modules_hidden(shellapp):
            stock_init_code(self)
        if self.shell is not None:
            same = len(sys.modules) == len(names)
            self.shell._sys_modules_keys = names if same else set(sys.modules.keys())

    ipkernel.IPythonKernel.__init__ = kernel_init
    shellapp.InteractiveShellApp.init_code = init_code


def warm_up_tracebacks():
    """Format one traceback as a kernel would: loads the lexer, styles and the regular
    expressions pygments compiles on first use, once for all kernels (a failing test cell
    is the common case in grading)."""
    from IPython.core import ultratb

    try:
        source = "def answer():\n    raise NotImplementedError()\nanswer()"
        code = compile(source, "<zygote>", "exec")
        exec(code, {})  # noqa: S102 (a constant)
    except NotImplementedError:
        ultratb.AutoFormattedTB(mode="Context").structured_traceback(*sys.exc_info())


def serve():
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    send({"ready": True, "preload_failed": PRELOAD_FAILED})
    while True:
        readable, _, _ = select.select([CONTROL, wake_read], [], [])
        if wake_read in readable:
            while True:
                try:
                    os.read(wake_read, 512)
                except BlockingIOError:
                    break
            reap()
        if CONTROL in readable:
            try:
                data, ancillary, _, _ = CONTROL.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(16))
            except InterruptedError:
                continue
            fds = []
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds += struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) // 4 * 4])
            if not data:
                os._exit(0)  # the grader is gone
            request = json.loads(data)
            try:
                spawn(request, fds[0])
            finally:
                for fd in fds:
                    os.close(fd)


def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        request_id = SANDBOXES.pop(pid, None)
        if request_id is not None:
            send({"exited": request_id, "status": os.waitstatus_to_exitcode(status)})


def spawn(request, stderr_fd):
    """Fork the sandbox for one kernel and answer with a pidfd of its init."""
    report_read, report_write = os.pipe2(os.O_CLOEXEC)
    try:
        first = os.fork()
    except OSError as exc:
        os.close(report_read)
        os.close(report_write)
        send({"id": request["id"], "error": f"fork: {exc}"})
        return
    if first == 0:
        os.close(report_read)
        leave_namespaces(request, stderr_fd, report_write)  # never returns
    os.close(report_write)
    report = b""
    while True:
        ready, _, _ = select.select([report_read], [], [], 30)
        chunk = os.read(report_read, 4096) if ready else b""
        if not chunk:
            break
        report += chunk
    os.close(report_read)
    os.waitpid(first, 0)
    # The init and its parent write to the report concurrently: lines come in any order.
    lines = report.decode(errors="replace").splitlines()
    pids = [int(line.split()[1]) for line in lines if line.startswith("pid ")]
    init_pid = pids[0] if pids else None
    if init_pid is None or "ready" not in lines:
        problem = next((line for line in lines if line.startswith("error")), "error: no report")
        if init_pid is not None:
            with_suppressed(os.kill, init_pid, signal.SIGKILL)
        send({"id": request["id"], "error": problem})
        return
    pidfd = os.pidfd_open(init_pid)  # not reaped before this: reap() runs after us
    SANDBOXES[init_pid] = request["id"]
    try:
        send({"id": request["id"], "ok": True}, [pidfd])
    finally:
        os.close(pidfd)


def with_suppressed(function, *args):
    with contextlib.suppress(OSError):
        function(*args)


# --------------------------------------------------------------------------------------------
# The child: its own namespaces, an init, the kernel
# --------------------------------------------------------------------------------------------


def close_fds_except(*keep):
    previous = 2
    for fd in sorted(keep):
        os.closerange(previous + 1, fd)
        previous = fd
    os.closerange(previous + 1, 65536)


def leave_namespaces(request, stderr_fd, report):
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        CONTROL.detach()  # its number may be reused: the object must never close it
        close_fds_except(stderr_fd, report)  # above all the control socket
        SANDBOXES.clear()
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
        check(libc.unshare(flags), "unshare")
        init = os.fork()
        if init == 0:
            be_init(request, stderr_fd, report)  # never returns
        os.write(report, f"pid {init}\n".encode())
        os._exit(0)
    except BaseException as exc:
        with_suppressed(os.write, report, f"error: {exc}\n".encode())
        os._exit(1)


def be_init(request, stderr_fd, report):
    try:
        set_up_filesystem(request)
        loopback_up()
        os.write(report, b"ready\n")
        os.close(report)
        kernel = os.fork()
        if kernel == 0:
            be_kernel(request, stderr_fd)  # never returns
        os.close(stderr_fd)
        libc.prctl(PR_SET_NAME, b"sandbox-init", 0, 0, 0)
        drop_privileges(NOBODY)
    except BaseException as exc:
        with_suppressed(os.write, report, f"error: {exc}\n".encode())
        os._exit(1)
    while True:  # PID 1: reap everything; end with the kernel
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == kernel:
            code = os.waitstatus_to_exitcode(status)
            os._exit(128 - code if code < 0 else code)


def set_up_filesystem(request):
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in ("sys", "sysrq-trigger", "irq", "bus"):  # read-only, as bwrap's --proc
        if os.path.exists(f"/proc/{name}"):
            bind(f"/proc/{name}", f"/proc/{name}", MS_RDONLY | MS_NOEXEC)
    ptys = "newinstance,ptmxmode=0666,mode=620"
    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, ptys)
    scratch = f"size={request['scratch_bytes']},mode=1777"
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, scratch)  # noqa: S108
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, scratch)  # noqa: S108
    own = f"{CONFIG['runtime_dir']}/{request['dir']}"
    bind(f"{own}/files", CONFIG["files_dir"], MS_RDONLY)  # the exercise's data files
    bind(f"{own}/passwd", "/etc/passwd", MS_RDONLY)
    bind(f"{own}/group", "/etc/group", MS_RDONLY)
    # Last: covers the directory of every kernel with this kernel's own socket directory.
    bind(f"{own}/ipc", CONFIG["runtime_dir"])


def loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", IFF_UP_LOOPBACK_RUNNING))


def drop_privileges(uid):
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    cap = 0
    while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:  # until EINVAL past CAP_LAST_CAP
        cap += 1
    if ctypes.get_errno() != errno.EINVAL:
        raise OSError(ctypes.get_errno(), "could not drop capabilities")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("could not drop privileges")


def be_kernel(request, stderr_fd):
    try:
        os.setsid()
        null = os.open("/dev/null", os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(stderr_fd, 2)
        os.close(null)
        os.close(stderr_fd)
        import resource

        for name, soft, hard in request["rlimits"]:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")  # under memory pressure, a student's kernel goes first
        drop_privileges(request["uid"])
        os.umask(0o077)
        os.chdir(CONFIG["scratch_dir"])
        os.environ.clear()
        os.environ.update(CONFIG["environment"])
        sys.argv = list(CONFIG["kernel_argv"])
        CONFIG.clear()
        request.clear()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        from ipykernel import kernelapp
    except BaseException as exc:
        with_suppressed(os.write, 2, f"kernel set-up failed: {exc!r}\n".encode())
        os._exit(1)
    code = 0
    try:
        kernelapp.launch_new_instance()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def main():
    global CONTROL
    CONFIG.update(json.loads(sys.argv[1]))
    CONTROL = socket.socket(fileno=CONFIG["control_fd"])
    if os.getuid() != 0:
        sys.exit("zygote: must run as root of the sandbox")
    os.nice(CONFIG["nice"])
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    PRELOAD_FAILED.update(preload())
    serve()


if __name__ == "__main__":
    main()
