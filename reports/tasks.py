"""Celery tasks of the reports app: thin, fetch by id, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)

DELIVERY_MAX_RETRIES = 5
DELIVERY_BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min


@shared_task
def build_report_task(build_id: int) -> None:
    """Twice: the second run finds the build finished and does nothing."""
    services.report_build_run(build_id=build_id)


@shared_task
def monthly_reports_task(period: str | None = None) -> int:
    """Build last month's reports and queue one delivery per endpoint. Twice: the
    deliveries of the period exist already; only those not yet delivered are queued."""
    from .models import ReportDelivery

    deliveries = services.monthly_deliveries_create(period=period or services.previous_month())
    pending = [d for d in deliveries if d.status == ReportDelivery.Status.PENDING]
    for delivery in pending:
        deliver_report_task.delay(delivery.pk)
    return len(pending)


@shared_task(bind=True, max_retries=DELIVERY_MAX_RETRIES)
def deliver_report_task(self, delivery_id: int) -> str:
    """POST one delivery; on failure retry with exponential backoff, then give up loudly.
    Twice: a delivered report is never sent again."""
    outcome = services.delivery_attempt(delivery_id=delivery_id)
    if outcome.delivered:
        return "delivered"
    if outcome.retryable and self.request.retries < self.max_retries:
        raise self.retry(countdown=DELIVERY_BACKOFF_SECONDS * 2**self.request.retries)
    services.delivery_fail(delivery_id=delivery_id)
    return "failed"


@shared_task
def mastery_refresh_stale_task() -> int:
    """Safety net for evidence written without signals; recomputes only stale pairs."""
    return services.mastery_refresh_stale()


@shared_task
def mastery_cube_rederive_task() -> int:
    """A cohort or an institution moved: sum the cohort figures into the cube again.
    Twice: the same cube."""
    return services.mastery_cube_rederive()


@shared_task
def completion_refresh_task() -> int:
    """Recount course completions per cohort and month. Twice: the same counts."""
    return services.completion_refresh()
