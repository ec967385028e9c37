"""`make demo` stops cleanly: Ctrl-C ends the web server, the Celery worker (its pool, beat
and the warm sandboxed kernels) within seconds, leaving no process behind, even when a
process of the worker's pool does not answer (busy with a long task, or stuck stopping its
kernels: here it is suspended, which only SIGKILL overcomes).

bin/demo runs here as a terminal runs it: in a process group of its own, which Ctrl-C
sends SIGINT to. It serves the test database on a free port, with a broker folder, log and
beat schedule of its own (never those of a `make demo` running beside the suite).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# No access to the test database: the demo runs on a database of its own (tmp_path).
pytestmark = [pytest.mark.worker]

ROOT = Path(__file__).resolve().parent.parent.parent
STOPPED_WITHIN = 10.0  # seconds, from Ctrl-C to the last process gone


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, start time) of every process (Linux /proc)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (command) "
        table[int(entry.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(pid: int) -> dict[int, str]:
    """pid -> start time of `pid` and every process under it."""
    table = process_table()
    found, frontier = {pid: table[pid][2]}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _state, started) in table.items():
            if ppid == parent and child not in found:
                found[child] = started
                frontier.append(child)
    return found


def running(processes: dict[int, str]) -> list[int]:
    """Those still running (not exited, not a zombie, not a new process with a reused pid)."""
    table = process_table()
    return [
        pid
        for pid, started in processes.items()
        if pid in table and table[pid][2] == started and table[pid][1] != "Z"
    ]


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def pool_process(processes: dict[int, str], demo: int) -> int:
    """A process of the worker's pool: a Celery process whose parent is a Celery process."""
    table = process_table()
    for pid in processes:
        parent = table.get(pid, (0, "", ""))[0]
        if parent != demo and "celery" in command_of(pid) and "celery" in command_of(parent):
            return pid
    raise AssertionError("no pool process under the worker")


def test_ctrl_c_stops_the_web_server_and_the_worker_within_seconds(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        # A database of its own: the demo's web server and worker write to it (beat
        # schedules, heartbeats), which must never reach the suite's test database.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_FOLDER": str(tmp_path / "broker"),
        "DEMO_PORT": str(port),
        "DEMO_LOG_DIR": str(tmp_path),
        "DEMO_BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
        # Ralph, the demo's LRS, on a port and a data folder of its own too
        "DEMO_LRS_PORT": str(free_port()),
        "DEMO_LRS_DIR": str(tmp_path / "lrs"),
    }
    env.pop("LMS_TEST_DATABASE_NAME", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    output = open(tmp_path / "demo.out", "w")  # noqa: SIM115 - closed below
    demo = subprocess.Popen(
        ["bash", "bin/demo"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group of its own, as in a terminal
    )
    worker_log = tmp_path / "worker.log"

    def log() -> str:
        shown = [(tmp_path / "demo.out"), worker_log]
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in shown if p.exists())

    processes: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 60
        serving = False
        while time.monotonic() < deadline:
            assert demo.poll() is None, f"bin/demo ended early:\n{log()}"
            if not serving:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2)
                    serving = True
                except (urllib.error.URLError, OSError):
                    pass
            if serving and worker_log.exists() and " ready." in worker_log.read_text():
                break
            time.sleep(0.25)
        else:
            pytest.fail(f"the demo did not come up within 60 s:\n{log()}")
        time.sleep(2)  # the pool processes start their warm kernels
        processes = descendants(demo.pid)
        assert len(processes) >= 4, "bin/demo, the web server, the worker and its pool"
        os.kill(pool_process(processes, demo.pid), signal.SIGSTOP)  # it will not finish

        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C
        started = time.monotonic()
        while running(processes) and time.monotonic() - started < STOPPED_WITHIN:
            time.sleep(0.1)
        took = time.monotonic() - started

        left = running(processes)
        assert not left, f"still running {took:.1f} s after Ctrl-C: " + "; ".join(
            f"{pid} {command_of(pid)}" for pid in left
        )
        assert demo.wait(timeout=1) == 130  # the shell's answer to Ctrl-C
        assert "Stopped." in (tmp_path / "demo.out").read_text()
    finally:
        for pid in running(processes) or ([demo.pid] if demo.poll() is None else []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        demo.wait(timeout=10)
        output.close()
