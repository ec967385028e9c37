"""How the reports app hands work to a Celery worker: by task name, after commit.

Services queue work through `enqueue` and never import reports.tasks (tasks import
services, never the reverse). The names below are the tasks' registered names, which
reports/tasks.py declares with them, and lms/celery.py's beat schedule uses too.

Every reports task runs on the default queue: the grading queue is kept for notebooks.
"""

from __future__ import annotations

from functools import partial

from celery import current_app
from django.db import transaction

DEFAULT_QUEUE = "default"

MASTERY_REFRESH = "reports.tasks.mastery_refresh_task"
MASTERY_REFRESH_STALE = "reports.tasks.mastery_refresh_stale_task"
MASTERY_CUBE_REDERIVE = "reports.tasks.mastery_cube_rederive_task"
COMPLETION_REFRESH = "reports.tasks.completion_refresh_task"
BUILD_REPORT = "reports.tasks.build_report_task"
MONTHLY_REPORTS = "reports.tasks.monthly_reports_task"
DELIVER_REPORT = "reports.tasks.deliver_report_task"


def enqueue(name: str, *args) -> None:
    """Queue task `name` with `args` (ids and other JSON values, never objects) on the
    default queue once the current transaction commits; at once outside a transaction. A
    rolled-back transaction queues nothing."""
    transaction.on_commit(partial(send, name, *args))


def send(name: str, *args) -> None:
    """Queue task `name` now. Through the task object where this process has loaded it
    (so `task_always_eager` runs it in place, as tests and a laptop without a worker
    want), else by name: the broker needs nothing but the name."""
    task = current_app.tasks.get(name)
    if task is None:
        current_app.send_task(name, args=list(args), queue=DEFAULT_QUEUE)
    else:
        task.apply_async(args=list(args), queue=DEFAULT_QUEUE)
