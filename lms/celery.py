"""The Celery application shared by the web process and every worker.

Run a worker for every queue with
    celery -A lms worker -Q default,grading,runs -l info
(`runs`: a student's Run and Check, short and interactive; a busy site gives it workers of
its own, so a run never waits behind a teacher's bulk regrade)
and beat (periodic work, schedule kept in the database by django-celery-beat) with
    celery -A lms beat -l info
"""

import os
from pathlib import Path

from celery import Celery, signals
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    # JSON only: a pickled message from a compromised producer would run code in a worker.
    accept_content=["json"],
    task_serializer="json",
    result_serializer="json",
    # A task is acknowledged after it finishes, and a worker that dies mid-task hands it
    # back to the broker, so a killed grader leads to a regrade, not a lost submission.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # One message at a time per process: a long grading job never hoards others.
    worker_prefetch_multiplier=1,
    worker_send_task_events=True,
    task_send_sent_event=True,
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
    task_queues=(Queue("default"), Queue("grading"), Queue("runs")),
    task_routes={
        "grading.tasks.requeue_stuck_submissions_task": {"queue": "default"},
        "grading.tasks.similarity_check_task": {"queue": "default"},
        "grading.tasks.similarity_due_checks_task": {"queue": "default"},
        "grading.tasks.execute_run_task": {"queue": "runs"},
        "grading.tasks.*": {"queue": "grading"},
    },
    beat_schedule={
        "worker-heartbeat": {
            "task": "lms.tasks.worker_heartbeat_task",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        # Submissions the broker never got (it was down), lost, or a dead worker left:
        # sent again within seconds of the broker's return or of the worker's lease end.
        "requeue-stuck-submissions": {
            "task": "grading.tasks.requeue_stuck_submissions_task",
            "schedule": 5.0,
            "options": {"expires": 5},
        },
        # Lesson views buffered in Redis (courses.services.lesson_visit_soon), written in
        # bulk: a student's "last activity" follows within seconds.
        "lesson-visits-flush": {
            "task": "courses.tasks.lesson_visits_flush_task",
            "schedule": 3.0,
            "options": {"expires": 3},
        },
        # Similarity checks of exercises whose deadline passed since their last check.
        "similarity-after-deadline": {
            "task": "grading.tasks.similarity_due_checks_task",
            "schedule": 600.0,
            "options": {"expires": 590},
        },
        # The ministry's monthly reports (what and to whom: Report schedules in the admin;
        # when: this periodic task, editable in the admin once beat has synced it).
        "monthly-ministry-reports": {
            "task": "reports.tasks.monthly_reports_task",
            "schedule": crontab(minute=0, hour=4, day_of_month=1),
        },
        # xAPI statements waiting in the outbox (an LRS that was down, a retry now due):
        # each recording queues a flush too, this is what sends them once the LRS is back.
        "xapi-outbox-flush": {
            "task": "xapi.tasks.outbox_flush_task",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        # Course completions per cohort and month for the reports (set-based recount).
        "reports-completion-refresh": {
            "task": "reports.tasks.completion_refresh_task",
            "schedule": 600.0,
            "options": {"expires": 590},
        },
        # LTI scores an LMS did not take yet (it was down): sent again once their backoff
        # is over (lti/passbacks.py); each grading queues its own send at once.
        "lti-passbacks-retry": {
            "task": "lti.tasks.passbacks_due_task",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        # Safety net behind the per-batch refresh (reports.tasks.mastery_refresh_task, queued
        # after each evidence batch commits): roll-ups that disagree with recent evidence.
        "mastery-refresh-stale": {
            "task": "reports.tasks.mastery_refresh_stale_task",
            "schedule": 900.0,
            "options": {"expires": 850},
        },
    },
)
app.autodiscover_tasks()


def _prepare_file_broker() -> None:
    """kombu's filesystem transport expects its folders to exist; create them once."""
    from django.conf import settings

    if not str(settings.CELERY_BROKER_URL).startswith("filesystem"):
        return
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@signals.import_modules.connect
def _on_worker_import(sender=None, **kwargs) -> None:
    _prepare_file_broker()


# Warm sandboxed kernels (grading/sandbox/pool.py): each process of a worker that consumes
# the grading or the runs queue keeps a few kernels, forked by its own sandboxed fork
# server, ready.
@signals.worker_process_init.connect
def _start_warm_kernels(**kwargs) -> None:
    from django.conf import settings

    consume_from = getattr(app.amqp.queues, "consume_from", None)
    if not settings.GRADING_WARM_POOL or (
        consume_from and not {"grading", "runs"} & set(consume_from)
    ):
        return
    from grading.sandbox.pool import default_pool_size, start_process_pool

    concurrency = settings.CELERY_WORKER_CONCURRENCY or os.cpu_count() or 1
    start_process_pool(
        size=settings.GRADING_WARM_KERNELS or default_pool_size(concurrency),
        preload=settings.GRADING_PRELOAD_MODULES,
    )


@signals.worker_process_shutdown.connect
def _stop_warm_kernels(**kwargs) -> None:
    from grading.sandbox.pool import stop_process_pool

    stop_process_pool()
