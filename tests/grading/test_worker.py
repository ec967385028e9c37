"""Grading through a real Celery worker process consuming from the broker."""

import os
import signal

import nbformat
import pytest
from django.db import transaction

from grading import services
from grading.models import CellResult, ExerciseSummary, Submission
from tests.factories import UserFactory
from tests.grading.factories import ExerciseFactory, student_version
from tests.grading.notebook.builders import answered
from tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.sandbox]

RIGHT = "def square(x):\n    return x * x"


def submit(exercise, source=RIGHT):
    nb = answered(student_version(exercise), square=source)
    with transaction.atomic():
        return services.submission_create(
            exercise=exercise, student=UserFactory(), notebook=nbformat.writes(nb), origin="upload"
        )


def status_of(submission):
    return Submission.objects.values_list("status", flat=True).get(pk=submission.pk)


def test_a_submission_is_graded_by_the_worker(celery_worker_process):
    submission = submit(ExerciseFactory())
    wait_for(
        lambda: status_of(submission) == "graded",
        timeout=60,
        message=f"not graded:\n{celery_worker_process.log()}",
    )
    submission.refresh_from_db()
    assert submission.total == 3
    assert submission.grading_runs == 1


def test_a_worker_killed_while_grading_leads_to_one_regrade(celery_worker_process):
    # The answer takes a while, so the kill lands while the notebook runs.
    slow = "import time\ntime.sleep(4)\n\ndef square(x):\n    return x * x"
    submission = submit(ExerciseFactory(), source=slow)
    wait_for(
        lambda: status_of(submission) == "running",
        timeout=60,
        message=f"never started:\n{celery_worker_process.log()}",
    )
    children = celery_worker_process.pool_children()
    assert children, "the worker has no pool process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)

    wait_for(
        lambda: status_of(submission) == "graded",
        timeout=90,
        message=f"not regraded after the kill:\n{celery_worker_process.log()}",
    )
    submission.refresh_from_db()
    assert submission.grading_runs == 2  # the killed run and the one that finished
    assert submission.total == 3
    assert CellResult.objects.filter(submission=submission).count() == 4
    summary = ExerciseSummary.objects.get(exercise=submission.exercise, student=submission.student)
    assert summary.attempts == 1 and summary.best_score == 3
