"""Celery tasks of the grading queue: thin wrappers that fetch by id and call a service."""

from celery import shared_task
from django.conf import settings

from . import queue, runs, services, similarity

# Grading must end within the notebook's own limit plus kernel start; these are a backstop.
GRADING_SOFT_LIMIT = 240
GRADING_HARD_LIMIT = 300


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=GRADING_SOFT_LIMIT,
    time_limit=GRADING_HARD_LIMIT,
)
def grade_submission_task(submission_id: int) -> None:
    """Grade one submission. Run twice, the second run sees it graded and does nothing;
    after a worker was killed mid-run, the redelivered task grades it from scratch."""
    services.submission_grade(submission_id=submission_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=GRADING_SOFT_LIMIT * 2,
    time_limit=GRADING_HARD_LIMIT * 2,
)
def validate_exercise_task(exercise_id: int) -> None:
    """Check a teacher's source notebook in the sandbox. Running it twice gives the same
    report (the second overwrites the first)."""
    services.exercise_validate(exercise_id=exercise_id)


@shared_task(
    acks_late=False,  # a run lost with its worker is not redone: the student runs again
    ignore_result=True,
    soft_time_limit=settings.GRADING_RUN_TIMEOUT + runs.START_MARGIN_S + 10,
    time_limit=settings.GRADING_RUN_TIMEOUT + runs.START_MARGIN_S + 20,
)
def execute_run_task(run_id: int) -> None:
    """A student's Run or Check (grading.runs), on the "runs" queue. Run twice, the second
    finds it no longer queued and does nothing."""
    runs.run_execute(run_id=run_id)


@shared_task(ignore_result=True)
def requeue_stuck_submissions_task() -> None:
    """Periodic (every few seconds): send again the submissions the broker never got or
    lost, and those whose worker died (services.requeue_stuck_submissions)."""
    services.requeue_stuck_submissions(
        older_than_seconds=settings.CELERY_TASK_TIME_LIMIT + 60,
        broker_emptied_at=queue.broker_emptied_at(),
    )


# A check of ~300 submissions takes seconds (see the README); these only stop a runaway.
SIMILARITY_SOFT_LIMIT = 600
SIMILARITY_HARD_LIMIT = 660


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=SIMILARITY_SOFT_LIMIT,
    time_limit=SIMILARITY_HARD_LIMIT,
)
def similarity_check_task(check_id: int) -> None:
    """Compare an exercise's latest submissions (default queue). Run twice, the second run
    finds the check done, or being run, and does nothing; one set of pairs is stored."""
    similarity.check_run(check_id=check_id)


@shared_task(ignore_result=True)
def similarity_due_checks_task() -> None:
    """Periodic: a check for each exercise whose deadline passed since its last check."""
    similarity.due_checks_start()
