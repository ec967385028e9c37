"""The monthly report delivered to the ministry's systems: read once per schedule and
month, signed (HMAC-SHA256), POSTed with an idempotency key, retried with backoff
(reports.tasks.deliver_report_task), every attempt logged, a final failure told to staff."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date

from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from . import queue
from .exports import render
from .models import DeliveryAttempt, ReportDelivery, ReportSchedule
from .reading import Channel, report_read
from .rollups import completion_refresh

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Report-Signature"
DELIVERY_TIMEOUT_SECONDS = 10


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def schedule_params(schedule: ReportSchedule, *, period: str) -> dict:
    """The report filters of a schedule for a month (YYYY-MM)."""
    return {
        "period": period,
        "framework": schedule.framework.slug,
        "region": schedule.region.code if schedule.region else "",
        "track": schedule.track,
    }


def monthly_deliveries_create(*, period: str) -> list[ReportDelivery]:
    """Read each active schedule's report for `period` once (by the scheduler, logged as a
    delivery) and make one delivery per active endpoint. Twice: the deliveries of the
    period are found, and nothing is read or made again."""
    deliveries = []
    completion_refresh()  # the figures a ministry keeps must be exact, not minutes old
    for schedule in ReportSchedule.objects.filter(is_active=True).select_related(
        "framework", "region"
    ):
        endpoints = list(schedule.endpoints.filter(is_active=True))
        existing = {
            d.endpoint_id: d
            for d in ReportDelivery.objects.filter(schedule=schedule, period=period)
        }
        missing = [e for e in endpoints if e.pk not in existing]
        deliveries.extend(existing.values())
        if not missing:
            continue
        read = report_read(
            reader=None,
            channel=Channel.DELIVERY,
            params=schedule_params(schedule, period=period),
            fmt="json",
        )
        payload = render(read.document, "json")
        for endpoint in missing:
            deliveries.append(
                ReportDelivery.objects.create(
                    schedule=schedule, endpoint=endpoint, period=period, payload=payload
                )
            )
    return deliveries


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool  # the endpoint took it (now or before)
    retryable: bool  # worth trying again later


def delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """POST a delivery once and log the attempt. A delivered one is never sent again."""
    with transaction.atomic():
        delivery = (
            ReportDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return AttemptOutcome(delivered=False, retryable=False)
        if delivery.status == ReportDelivery.Status.DELIVERED:
            return AttemptOutcome(delivered=True, retryable=False)
        body = bytes(delivery.payload)
        request = urllib.request.Request(  # noqa: S310 - the URL is checked in MinistryEndpoint
            delivery.endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": str(delivery.idempotency_key),
                SIGNATURE_HEADER: signature(delivery.endpoint.secret, body),
                "User-Agent": "national-skills-platform/1",
            },
        )
        started = time.monotonic()
        http_status, error = None, ""
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=DELIVERY_TIMEOUT_SECONDS
            ) as response:
                http_status = response.status
        except urllib.error.HTTPError as exc:
            http_status, error = exc.code, f"HTTP {exc.code}: {exc.reason}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"{type(exc).__name__}: {reason}"
        ok = http_status is not None and 200 <= http_status < 300
        DeliveryAttempt.objects.create(
            delivery=delivery,
            ok=ok,
            http_status=http_status,
            error=error[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.attempts += 1
        if ok:
            delivery.status = ReportDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        delivery.save(update_fields=["attempts", "status", "delivered_at"])
    # 4xx other than timeout / rate limit: the request itself is wrong, retrying won't help
    retryable = not ok and (
        http_status is None or http_status >= 500 or http_status in (408, 409, 425, 429)
    )
    return AttemptOutcome(delivered=ok, retryable=retryable)


def delivery_fail(*, delivery_id: int) -> None:
    """Give up: mark the delivery failed where everyone looks, and tell staff."""
    delivery = ReportDelivery.objects.select_related("schedule", "endpoint").get(pk=delivery_id)
    if delivery.status == ReportDelivery.Status.DELIVERED:
        return
    delivery.status = ReportDelivery.Status.FAILED
    delivery.save(update_fields=["status"])
    last = delivery.attempt_log.order_by("-attempted_at", "-pk").first()
    reason = (last.error or f"HTTP {last.http_status}") if last else "no attempt"
    message = (
        f"Report delivery {delivery.pk} ({delivery.schedule} for {delivery.period}) to "
        f"{delivery.endpoint} failed after {delivery.attempts} attempt(s): {reason}. "
        "Resend it from the admin (Report deliveries) once the endpoint is back."
    )
    logger.error(message)
    mail_admins(f"Report delivery failed: {delivery.endpoint}", message, fail_silently=True)


def delivery_queue(*, delivery_id: int) -> None:
    """Queue one attempt at a delivery (with its retries), after commit, default queue."""
    queue.enqueue(queue.DELIVER_REPORT, delivery_id)


def delivery_resend(*, delivery_id: int) -> ReportDelivery:
    """Send a delivery again by hand: same bytes, same idempotency key."""
    delivery = ReportDelivery.objects.get(pk=delivery_id)
    if delivery.status == ReportDelivery.Status.FAILED:
        delivery.status = ReportDelivery.Status.PENDING
        delivery.save(update_fields=["status"])
    delivery_queue(delivery_id=delivery.pk)
    return delivery


def previous_month(today: date | None = None) -> str:
    today = today or timezone.localdate()
    first = today.replace(day=1)
    year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
    return f"{year:04d}-{month:02d}"
