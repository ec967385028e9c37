"""Services queue grading work by task name, after commit: a student's submission ahead of
a teacher's bulk regrade, both on the grading queue, the source check too."""

from __future__ import annotations

import nbformat
import pytest

from grading import queue, services, tasks
from grading.models import Exercise
from lms.celery import app
from tests.factories import UserFactory
from tests.grading.factories import ExerciseFactory, submission_notebook
from tests.grading.notebook.builders import square_exercise

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args=(), **kw: messages.append((name, tuple(args), kw))
    )
    return messages


def submit(exercise, student):
    return services.submission_create(
        exercise=exercise,
        student=student,
        notebook=submission_notebook(exercise),
        origin="upload",
    )


def test_a_submission_is_sent_only_once_its_transaction_commits(
    sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        submission = submit(ExerciseFactory(), UserFactory())
        assert sent == []  # not before commit: a worker would not find the row
    for callback in callbacks:
        callback()

    assert sent == [(queue.GRADE_SUBMISSION_TASK, (submission.pk,), {"priority": 0})]


def test_a_bulk_regrade_is_sent_behind_interactive_submissions(
    sent, django_capture_on_commit_callbacks
):
    exercise = ExerciseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(exercise, UserFactory())
    sent.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.exercise_regrade(exercise=exercise, requested_by=UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_regrade(submission=first)

    assert sent == [
        (queue.GRADE_SUBMISSION_TASK, (first.pk,), {"priority": queue.BULK_PRIORITY}),
        (queue.GRADE_SUBMISSION_TASK, (first.pk,), {"priority": queue.INTERACTIVE_PRIORITY}),
    ]


def test_a_new_source_is_sent_to_the_sandbox_check(sent, django_capture_on_commit_callbacks):
    exercise = Exercise.objects.create(title="Squares", slug="squares")
    with django_capture_on_commit_callbacks(execute=True):
        services.exercise_set_source(
            exercise=exercise, data=nbformat.writes(square_exercise()), filename="sq.ipynb"
        )

    assert sent == [(queue.VALIDATE_EXERCISE_TASK, (exercise.pk,), {})]


@pytest.mark.parametrize("name", [queue.GRADE_SUBMISSION_TASK, queue.VALIDATE_EXERCISE_TASK])
def test_grading_work_is_routed_to_the_grading_queue_by_name(name):
    assert app.amqp.router.route({}, name)["queue"].name == "grading"


def test_the_names_are_the_tasks_names():
    assert tasks.grade_submission_task.name == queue.GRADE_SUBMISSION_TASK
    assert tasks.validate_exercise_task.name == queue.VALIDATE_EXERCISE_TASK


@pytest.mark.sandbox
def test_with_eager_tasks_a_submission_is_graded_in_place(django_capture_on_commit_callbacks):
    """CELERY_TASK_ALWAYS_EAGER (a laptop without a worker) grades without a broker, as
    the task's own apply_async would; sending by name does not lose that."""
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            submission = submit(ExerciseFactory(), UserFactory())
    finally:
        app.conf.task_always_eager = False

    submission.refresh_from_db()
    assert submission.status == submission.Status.GRADED and submission.total == 3
