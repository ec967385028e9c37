"""A real Celery worker process for tests: consumes from the configured broker and writes
to the test database. Used by the `celery_worker_process` fixture."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def stop_group(proc: subprocess.Popen | None) -> None:
    """End a process started in a session of its own, with its children: SIGTERM to the
    group, SIGKILL if it has not ended within 20 s."""
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class WorkerProcess:
    def __init__(
        self,
        queues: str = "default,grading",
        concurrency: int = 1,
        *,
        name: str = "test",
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        """`env`: settings of its own (e.g. its own broker: nothing is purged then);
        `args`: more `celery worker` options (e.g. -B, beat in the worker)."""
        self.queues = queues
        self.concurrency = concurrency
        self.name = name
        self.env = env or {}
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.log_path = ROOT / "var" / "log" / f"{name}-worker-{os.getpid()}.log"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DJANGO_SETTINGS_MODULE"] = "lms.settings.test"
        env["LMS_TEST_DATABASE_NAME"] = str(connection.settings_dict["NAME"])
        env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
        env.update(self.env)
        return env

    def purge(self) -> None:
        if "CELERY_BROKER_URL" in self.env:
            return  # a broker of the caller's own
        from lms.celery import app

        with app.connection_for_write() as conn:
            for queue in ("default", "grading"):
                try:
                    conn.default_channel.queue_purge(queue)
                except Exception:  # noqa: S112 - a queue that does not exist yet is empty
                    continue

    def start(self) -> WorkerProcess:
        self.purge()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lms",
                "worker",
                "-Q",
                self.queues,
                "--concurrency",
                str(self.concurrency),
                "--pool",
                "prefork",
                "-l",
                "info",
                "-n",
                f"{self.name}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                *self.args,
            ],
            cwd=ROOT,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._log = log
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log()}")
            if "ready." in self.log():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker did not start in 60 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pool_children(self) -> list[int]:
        """PIDs of the prefork pool's processes (the ones that run tasks)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        stop_group(self.proc)
        if getattr(self, "_log", None):
            self._log.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout} s")
