"""How the credentials app hands work to a Celery worker: by task name, after commit (as
reports/queue.py does). Receivers and services never import credentials.tasks."""

from __future__ import annotations

from functools import partial

from celery import current_app
from django.db import transaction

DEFAULT_QUEUE = "default"

ISSUE_CREDENTIAL = "credentials.tasks.credential_issue_task"


def enqueue(name: str, *args) -> None:
    """Queue task `name` with `args` (ids) once the current transaction commits; at once
    outside a transaction. A rolled-back transaction queues nothing."""
    transaction.on_commit(partial(send, name, *args))


def send(name: str, *args) -> None:
    """Through the task object where this process has loaded it (so `task_always_eager`
    runs it in place), else by name."""
    task = current_app.tasks.get(name)
    if task is None:
        current_app.send_task(name, args=list(args), queue=DEFAULT_QUEUE)
    else:
        task.apply_async(args=list(args), queue=DEFAULT_QUEUE)
