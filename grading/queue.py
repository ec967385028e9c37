"""How grading work reaches a worker: by task name, through the broker, after commit.

Services queue work here and never import grading.tasks: tasks import services, never the
reverse. A task is named, not imported, so Celery routes it as it routes any message
(lms/celery.py sends `grading.tasks.*` to the grading queue).
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import current_app
from django.db import transaction
from django.utils import timezone

from .models import Submission

log = logging.getLogger("grading")

GRADE_SUBMISSION_TASK = "grading.tasks.grade_submission_task"
VALIDATE_EXERCISE_TASK = "grading.tasks.validate_exercise_task"
SIMILARITY_CHECK_TASK = "grading.tasks.similarity_check_task"

# Interactive submissions overtake a teacher's bulk regrade (lower number = sooner).
INTERACTIVE_PRIORITY = 0
BULK_PRIORITY = 6


def submission_grading_queue(*, submission_id: int, interactive: bool) -> None:
    """Send a stored submission to the graders once the current transaction commits."""
    priority = INTERACTIVE_PRIORITY if interactive else BULK_PRIORITY
    transaction.on_commit(
        lambda: submission_grading_send(submission_id=submission_id, priority=priority)
    )


def submission_grading_send(*, submission_id: int, priority: int) -> bool:
    """Hand a stored submission to the broker now. A broker that is down loses nothing: the
    submission stays QUEUED in the database without `sent_at` (the student sees it
    waiting), and `requeue_stuck_submissions`, every few seconds, sends it once the broker
    is back."""
    try:
        _send(GRADE_SUBMISSION_TASK, submission_id, priority=priority)
    except Exception:  # kombu's OperationalError, a refused socket, a full disk...
        log.exception(
            "the broker did not take submission %s; it stays queued and will be sent again",
            submission_id,
        )
        return False
    # The outbox's mark: a queued submission without it is sent again within seconds by
    # `requeue_stuck_submissions` (after a lost publish, once the broker is back).
    Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(
        sent_at=timezone.now()
    )
    return True


# A mark the broker keeps while it keeps its messages (see broker_emptied_at).
BROKER_MARK_KEY = "lms:grading:broker-mark"


def broker_emptied_at() -> datetime | None:
    """When the broker was last found empty: the first time a look found it without our
    mark. A Redis broker restarted without persistence (or flushed) forgot its messages,
    so a submission sent before then is no longer on it, however recently it was sent.
    None when the broker cannot tell (the embedded folder broker keeps its messages on
    disk) or cannot be reached."""
    app = current_app
    if app.conf.task_always_eager:
        return None
    try:
        with app.connection_for_write() as conn:
            if conn.transport.driver_type != "redis":
                return None
            client = conn.default_channel.client
            now = timezone.now()
            if client.set(BROKER_MARK_KEY, now.isoformat(), nx=True):
                return now
            mark = client.get(BROKER_MARK_KEY)
    except Exception:  # kombu's OperationalError, a refused socket...
        log.warning("could not read the broker's mark", exc_info=True)
        return None
    return datetime.fromisoformat(mark.decode()) if mark else None


def exercise_validation_queue(*, exercise_id: int) -> None:
    """Check a stored source notebook in the sandbox once the current transaction commits."""
    transaction.on_commit(lambda: _send(VALIDATE_EXERCISE_TASK, exercise_id))


def similarity_check_queue(*, check_id: int) -> None:
    """Compare an exercise's submissions in the background once the transaction commits
    (the default queue: a teacher's check never waits behind grading, nor delays it)."""
    transaction.on_commit(lambda: similarity_check_send(check_id=check_id))


def similarity_check_send(*, check_id: int) -> bool:
    """A broker that is down loses nothing but time: the check stays QUEUED, and once it is
    stale (GRADING_SIMILARITY_STALE_AFTER) the teacher's next "Check now" starts another."""
    try:
        _send(SIMILARITY_CHECK_TASK, check_id)
    except Exception:  # kombu's OperationalError, a refused socket, a full disk...
        log.exception("the broker did not take similarity check %s", check_id)
        return False
    return True


def _send(name: str, *args, **options) -> None:
    app = current_app
    if app.conf.task_always_eager:
        # `send_task` never runs a task in place; with eager tasks configured (tests, a
        # laptop without a worker) run it here, as the task's own apply_async would.
        app.loader.import_default_modules()  # registers every app's tasks
        app.tasks[name].apply_async(args, **options)
        return
    app.send_task(name, args=args, **options)
