"""Recovery in seconds: a submission the broker never took is sent again once the broker
is back (the publish outbox: `sent_at`), and one whose grading worker died is sent again
once its lease is past, not after the task's hard time limit. Nothing is graded twice."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.utils import timezone

from grading import queue, services
from grading.models import Submission
from tests.grading.factories import RIGHT, classroom, submission_notebook
from tests.grading.test_broker_down import broker_down, capture_sent  # noqa: F401

pytestmark = pytest.mark.django_db


def submit(room) -> Submission:
    return services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=submission_notebook(room.exercise, RIGHT),
        origin=Submission.Origin.UPLOAD,
    )


def seconds_ago(seconds: float):
    return timezone.now() - dt.timedelta(seconds=seconds)


def test_a_submission_the_broker_never_took_is_sent_seconds_after_it_is_back(
    broker_down,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    room = classroom()
    with django_capture_on_commit_callbacks(execute=True):
        lost = submit(room)
    lost.refresh_from_db()
    assert lost.status == Submission.Status.QUEUED and lost.sent_at is None

    sent = capture_sent(monkeypatch)  # the broker is back
    with django_capture_on_commit_callbacks(execute=True):
        fresh = submit(room)  # its own send went through: not sent again
    assert services.requeue_stuck_submissions() == 0  # still within its grace (5 s)
    Submission.objects.filter(pk=lost.pk).update(submitted_at=seconds_ago(6))

    assert services.requeue_stuck_submissions() == 1
    assert [args for _name, args, _kw in sent] == [(fresh.pk,), (lost.pk,)]
    lost.refresh_from_db()
    assert lost.sent_at is not None
    assert services.requeue_stuck_submissions() == 0  # sent once is enough

    services.submission_grade(submission_id=lost.pk)
    lost.refresh_from_db()
    assert lost.status == Submission.Status.GRADED and lost.grading_runs == 1


def test_a_dead_workers_submission_is_sent_again_once_its_lease_is_past(monkeypatch):
    sent = capture_sent(monkeypatch)
    room = classroom()
    submission = submit(room)
    claimed = services._claim(submission.pk)  # a worker takes it ...
    assert claimed.lease_until > timezone.now()

    # ... while that worker lives (its lease renewed), nothing is sent again
    assert services.requeue_stuck_submissions() == 0

    # ... then the worker is killed: nobody renews the lease
    Submission.objects.filter(pk=submission.pk).update(lease_until=seconds_ago(1))
    sent.clear()
    assert services.requeue_stuck_submissions() == 1
    assert [args for _name, args, _kw in sent] == [(submission.pk,)]

    graded = services.submission_grade(submission_id=submission.pk)  # the new message
    assert graded.status == Submission.Status.GRADED and graded.grading_runs == 2
    assert graded.cells.count() == len(graded.cells.values("grade_id").distinct())
    assert services.submission_grade(submission_id=submission.pk) is None  # a late duplicate
    assert services.requeue_stuck_submissions() == 0


def test_a_regrade_is_not_on_the_broker_until_it_is_sent_again(monkeypatch):
    sent = capture_sent(monkeypatch)
    room = classroom()
    submission = submit(room)
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.GRADED, sent_at=seconds_ago(3600), submitted_at=seconds_ago(3600)
    )
    monkeypatch.setattr(queue, "submission_grading_queue", lambda **kwargs: None)  # send lost
    services.submission_regrade(submission=submission)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED and submission.sent_at is None
    sent.clear()
    assert services.requeue_stuck_submissions() == 1
    assert [args for _name, args, _kw in sent] == [(submission.pk,)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_working_grader_renews_its_lease_and_stops_when_done(settings, monkeypatch):
    settings.GRADING_LEASE_SECONDS = 1  # renewed every third of a second
    capture_sent(monkeypatch)
    room = classroom()
    submission = submit(room)
    claimed = services._claim(submission.pk)
    first = claimed.lease_until

    with services._lease(submission.pk):
        time.sleep(1.5)  # longer than the lease: only the renewals keep it alive
        submission.refresh_from_db()
        assert submission.lease_until > first
        assert submission.lease_until > timezone.now()
        assert services.requeue_stuck_submissions() == 0

    assert not [t for t in threading.enumerate() if t.name == f"lease-{submission.pk}"]
    time.sleep(1.2)  # no renewal after the grading: a dead worker looks the same
    assert services.requeue_stuck_submissions() == 1


def test_what_a_broker_forgot_is_sent_again_once_it_is_back_empty(monkeypatch):
    """A Redis broker restarted without persistence comes back without the messages it held
    (grading.queue.broker_emptied_at tells since when): they are sent again at once, not
    after GRADING_REQUEUE_QUEUED_AFTER."""
    sent = capture_sent(monkeypatch)
    room = classroom()
    forgotten = submit(room)
    Submission.objects.filter(pk=forgotten.pk).update(sent_at=seconds_ago(30))
    emptied = timezone.now()
    after = submit(room)
    Submission.objects.filter(pk=after.pk).update(sent_at=timezone.now())  # on the new broker
    sent.clear()

    assert services.requeue_stuck_submissions() == 0  # without the broker's word: 10 minutes
    assert services.requeue_stuck_submissions(broker_emptied_at=emptied) == 1
    assert [args for _name, args, _kw in sent] == [(forgotten.pk,)]
    forgotten.refresh_from_db()
    assert forgotten.sent_at > emptied
    assert services.requeue_stuck_submissions(broker_emptied_at=emptied) == 0  # sent once
