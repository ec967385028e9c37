"""Celery tasks of the reports app: thin (fetch by id, call one service), on the default
queue, safe to run twice. Their names are reports.queue's, which services queue them by."""

from __future__ import annotations

from celery import shared_task

from . import queue
from .builds import report_build_run
from .delivery import (
    delivery_attempt,
    delivery_fail,
    monthly_deliveries_create,
    previous_month,
)
from .models import ReportDelivery
from .rollups import (
    completion_refresh,
    mastery_cube_rederive,
    mastery_refresh_stale,
    mastery_refresh_student,
)

DELIVERY_MAX_RETRIES = 5
DELIVERY_BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min


@shared_task(name=queue.MASTERY_REFRESH)
def mastery_refresh_task(student_id: int, competence_ids: list[int]) -> int:
    """Refresh a student's roll-ups on the competences of one evidence batch (queued once
    per batch, after its commit). Twice: the second run recomputes the same figures from
    the same evidence and moves nothing (the cohort tables only move by a difference)."""
    return mastery_refresh_student(student_id=student_id, competence_ids=competence_ids)


@shared_task(name=queue.MASTERY_REFRESH_STALE)
def mastery_refresh_stale_task() -> int:
    """Safety net (beat, every 15 minutes): refresh the pairs whose roll-up disagrees with
    recent evidence (a lost refresh task, evidence written past evidence_replace). Twice:
    the second run finds nothing stale."""
    return mastery_refresh_stale()


@shared_task(name=queue.MASTERY_CUBE_REDERIVE)
def mastery_cube_rederive_task() -> int:
    """A cohort or an institution moved: sum the cohort figures into the cube again.
    Twice: the same cube."""
    return mastery_cube_rederive()


@shared_task(name=queue.COMPLETION_REFRESH)
def completion_refresh_task() -> int:
    """Recount course completions per cohort and month. Twice: the same counts."""
    return completion_refresh()


@shared_task(name=queue.BUILD_REPORT)
def build_report_task(build_id: int) -> None:
    """Build a requested report file. Twice: the second run finds the build finished and
    does nothing (the report is read and logged once)."""
    report_build_run(build_id=build_id)


@shared_task(name=queue.MONTHLY_REPORTS)
def monthly_reports_task(period: str | None = None) -> int:
    """Build last month's reports and queue one delivery per endpoint. Twice: the
    deliveries of the period exist already; only those not yet delivered are queued."""
    deliveries = monthly_deliveries_create(period=period or previous_month())
    pending = [d for d in deliveries if d.status == ReportDelivery.Status.PENDING]
    for delivery in pending:  # committed already: the task runs outside a transaction
        queue.send(queue.DELIVER_REPORT, delivery.pk)
    return len(pending)


@shared_task(name=queue.DELIVER_REPORT, bind=True, max_retries=DELIVERY_MAX_RETRIES)
def deliver_report_task(self, delivery_id: int) -> str:
    """POST one delivery; on failure retry with exponential backoff, then give up loudly.
    Twice: a delivered report is never sent again."""
    outcome = delivery_attempt(delivery_id=delivery_id)
    if outcome.delivered:
        return "delivered"
    if outcome.retryable and self.request.retries < self.max_retries:
        raise self.retry(countdown=DELIVERY_BACKOFF_SECONDS * 2**self.request.retries)
    delivery_fail(delivery_id=delivery_id)
    return "failed"
