"""A broker that is down when a student submits loses nothing: the submission is stored,
the student is answered, and the beat task sends it again once the broker is back."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket

import pytest
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import OperationalError
from kombu.transport.filesystem import Channel as KombuFilesystemChannel

from grading import queue, services
from grading.models import Submission
from lms.broker import FilesystemChannel
from lms.celery import app
from tests.grading.factories import RIGHT, classroom
from tests.grading.test_api import client_for, submit_answers

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture_sent(monkeypatch) -> list:
    """Messages the services hand to Celery (grading.queue sends tasks by name)."""
    sent = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args=(), **kw: sent.append((name, tuple(args), kw))
    )
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    """Publishing fails as it does when the broker machine is down: with the error a real
    client raises on a port nobody listens on."""
    with Connection(f"redis://127.0.0.1:{_closed_port()}/0", connect_timeout=0.5) as conn:
        try:
            conn.ensure_connection(max_retries=1)
        except OperationalError as exc:
            refused = exc
    assert "refused" in str(refused)

    def publish(*args, **kwargs):
        raise refused

    monkeypatch.setattr(app, "send_task", publish)


@pytest.fixture
def published(monkeypatch):
    """What reaches the broker once it is back (the task's messages, captured)."""
    return capture_sent(monkeypatch)


def test_a_submission_made_while_the_broker_is_down_is_kept_and_sent_later(
    broker_down, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    room = classroom()
    with (
        caplog.at_level(logging.ERROR, logger="grading"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = submit_answers(client_for(room, "student"), room.exercise)

    assert response.status_code == 201, response.content  # the student is answered
    submission = Submission.objects.get(uid=response.json()["id"])
    assert submission.status == Submission.Status.QUEUED  # shown as waiting, not lost
    assert "stays queued" in caplog.text

    # ten minutes later the broker is back, and the beat task sends it again
    sent = capture_sent(monkeypatch)
    Submission.objects.filter(pk=submission.pk).update(
        submitted_at=timezone.now() - dt.timedelta(minutes=11)
    )
    assert services.requeue_stuck_submissions() == 1
    assert sent == [(queue.GRADE_SUBMISSION_TASK, (submission.pk,), {"priority": 0})]

    services.submission_grade(submission_id=submission.pk)  # what the worker then does
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED
    assert submission.total > 0  # the right answer earned its points


def test_requeue_leaves_recent_and_finished_submissions_alone(published):
    room = classroom()
    recent = services.submission_create(
        exercise=room.exercise, student=room.student, notebook=_answers(room), origin="upload"
    )
    old_graded = services.submission_create(
        exercise=room.exercise, student=room.student, notebook=_answers(room), origin="upload"
    )
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Submission.objects.filter(pk=old_graded.pk).update(
        status=Submission.Status.GRADED, submitted_at=an_hour_ago
    )
    stuck = services.submission_create(
        exercise=room.exercise, student=room.student, notebook=_answers(room), origin="upload"
    )
    Submission.objects.filter(pk=stuck.pk).update(
        status=Submission.Status.RUNNING, started_at=an_hour_ago
    )
    published.clear()

    assert services.requeue_stuck_submissions() == 1
    assert [args for _name, args, _kw in published] == [(stuck.pk,)]
    assert recent.pk not in {args[0] for _name, args, _kw in published}


def _answers(room):
    from tests.grading.factories import submission_notebook

    return submission_notebook(room.exercise, RIGHT)


def test_the_embedded_broker_never_shows_a_worker_a_half_written_message(tmp_path):
    """kombu's own filesystem channel creates the file, then writes it: a worker listing
    the folder in between reads an empty message. Ours renames a complete file into place."""
    written = []

    class Spy(FilesystemChannel):
        def __init__(self):  # no connection needed to write a message
            self.data_folder_out = str(tmp_path)

    real_replace = __import__("os").replace

    def watching_replace(src, dst):
        # at the moment the message appears under its real name, it is complete
        written.append(sorted(p.name for p in tmp_path.iterdir()))
        real_replace(src, dst)

    import lms.broker

    lms.broker.os.replace = watching_replace
    try:
        Spy()._put("grading", {"body": "x" * 100_000})
    finally:
        lms.broker.os.replace = real_replace

    (before,) = written
    assert len(before) == 1 and before[0].startswith(".") and before[0].endswith(".partial")
    (message,) = tmp_path.iterdir()
    assert message.name.endswith(".grading.msg")
    assert json.loads(message.read_bytes())["body"] == "x" * 100_000
    assert issubclass(FilesystemChannel, KombuFilesystemChannel)
