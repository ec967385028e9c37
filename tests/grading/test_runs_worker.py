"""Run, Check and Stop the whole way: the API, the broker, a real Celery worker consuming
the "runs" queue with its warm kernels, the sandbox, the database, and the API again."""

from __future__ import annotations

import time

import psutil
import pytest
from rest_framework.test import APIClient

from grading.models import ExerciseRun, ExerciseSummary, Submission
from tests.grading.factories import classroom
from tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.sandbox]

HALF_RIGHT = "def square(x):\n    print('called with', x)\n    return abs(x) * x"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def finished(client, url: str, worker, timeout: float = 60) -> dict:
    def done():
        body = client.get(url).json()
        return body if body["status"] in ("done", "failed") else None

    return wait_for(done, timeout=timeout, message=f"the run did not finish:\n{worker.log()}")


def test_a_run_and_a_check_go_through_the_runs_queue(celery_worker_process):
    room = classroom()
    student = client_for(room.student)
    exercise_runs = f"/api/v1/exercises/{room.exercise.pk}/runs/"

    created = student.post(
        exercise_runs,
        {"answers": {"square": HALF_RIGHT + "\nsquare(-3)"}, "upto": "square"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = finished(student, created.json()["url"], celery_worker_process)

    assert body["status"] == "done", body
    assert body["cells"][-1]["grade_id"] == "square"
    assert body["cells"][-1]["outputs"] == [
        {"type": "stream", "name": "stdout", "text": "called with -3\n"},
        {"type": "text", "text": "-9"},
    ]

    checked = student.post(
        exercise_runs, {"answers": {"square": HALF_RIGHT}, "kind": "check"}, format="json"
    )
    body = finished(student, checked.json()["url"], celery_worker_process)

    assert body["status"] == "done", body
    assert [(t["grade_id"], t["passed"]) for t in body["tests"]] == [
        ("test_visible", True),
        ("test_hidden", True),  # its visible part: square(3) == 9; the hidden part is not run
    ]
    assert "execute_run_task" in celery_worker_process.log()
    assert Submission.objects.count() == 0 and ExerciseSummary.objects.count() == 0


def _spinning_kernels(root_pid: int, window: float = 0.5) -> list[psutil.Process]:
    """The kernels below `root_pid` (the worker's sandboxes: a fork server, and per kernel
    its init and the kernel) that used at least a fifth of a core during `window`."""

    def cpu(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:  # ended meanwhile
            return 0.0
        return times.user + times.system

    def is_kernel(process: psutil.Process) -> bool:
        try:
            return process.parent().name() == "sandbox-init"
        except (psutil.Error, AttributeError):
            return False

    kernels = [p for p in psutil.Process(root_pid).children(recursive=True) if is_kernel(p)]
    before = {process: cpu(process) for process in kernels}
    time.sleep(window)
    return [p for p, used in before.items() if cpu(p) - used >= window / 5]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_stop_ends_a_runaway_run_at_once_and_kills_its_kernel(celery_worker_process):
    room = classroom()
    student = client_for(room.student)
    exercise_runs = f"/api/v1/exercises/{room.exercise.pk}/runs/"
    warm_up = student.post(exercise_runs, {"answers": {}, "upto": "setup"}, format="json")
    finished(student, warm_up.json()["url"], celery_worker_process)  # the pool is up
    created = student.post(
        exercise_runs,
        {"answers": {"square": "while True:\n    pass"}, "upto": "square"},
        format="json",
    ).json()
    run = ExerciseRun.objects.get(uid=created["id"])
    spinning = wait_for(
        lambda: _spinning_kernels(celery_worker_process.proc.pid),
        timeout=30,
        message=f"no kernel runs the loop:\n{celery_worker_process.log()}",
    )
    assert ExerciseRun.objects.get(pk=run.pk).status == "running"

    started = time.monotonic()
    stopped = student.post(f"/api/v1/runs/{created['id']}/stop/")

    assert stopped.status_code == 202
    assert time.monotonic() - started < 2
    assert stopped.json()["status"] == "failed" and stopped.json()["error"] == "Stopped"
    wait_for(lambda: not any(_alive(p) for p in spinning), timeout=6, message="still spinning")
    assert ExerciseRun.objects.get(pk=run.pk).error == "Stopped"  # the worker kept it so

    # the worker is free for the next run at once (the runaway's 10 s limit not awaited)
    again = student.post(
        exercise_runs,
        {"answers": {"square": "print('back')"}, "upto": "square"},
        format="json",
    ).json()
    body = finished(student, again["url"], celery_worker_process, timeout=8)
    assert body["status"] == "done"
    assert body["cells"][-1]["outputs"] == [{"type": "stream", "name": "stdout", "text": "back\n"}]
