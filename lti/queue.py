"""How the LTI tool hands work to a Celery worker: by task name, after commit (services
never import lti.tasks; see reports/queue.py for the pattern). All on the default queue."""

from __future__ import annotations

from functools import partial

from celery import current_app
from django.db import transaction

DEFAULT_QUEUE = "default"

PASSBACK_SEND = "lti.tasks.passback_send_task"
PASSBACKS_DUE = "lti.tasks.passbacks_due_task"
ROSTER_SYNC = "lti.tasks.roster_sync_task"


def enqueue(name: str, *args) -> None:
    """Queue task `name` with `args` (ids) once the current transaction commits; a
    rolled-back transaction queues nothing."""
    transaction.on_commit(partial(send, name, *args))


def send(name: str, *args) -> None:
    task = current_app.tasks.get(name)
    if task is None:
        current_app.send_task(name, args=list(args), queue=DEFAULT_QUEUE)
    else:
        task.apply_async(args=list(args), queue=DEFAULT_QUEUE)
