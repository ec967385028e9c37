"""Scores back to the LMSs (LTI Assignment and Grade Services).

Each student's link to an exercise has one GradePassback row. When grading publishes a
student's outcome (graded, regraded, graded by hand: grading.signals), the rows of that
student and exercise take the best result's score and are queued; `passback_send` posts
it to the link's line item (`<lineitem>/scores`) with pylti1p3's AGS client.

An LMS that is down (no answer, 5xx, 408, 429) gets the score again later, after
BASE * 2^(attempts - 1) seconds (beat task `lti-passbacks-retry`), until it takes it or
LTI_PASSBACK_MAX_ATTEMPTS is reached. A 4xx refusal is kept with the LMS's reason, for an
admin to read and retry. Sending twice is harmless: the LMS keeps the latest score by its
timestamp, which is when the score changed, not when it was sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector

from grading.models import ExerciseSummary

from . import queue
from .models import GradePassback, Registration
from .tool import LmsSession, registration_for

log = logging.getLogger("lti")

# answers that say "later", not "no"
RETRY_STATUSES = {408, 425, 429}


def retry_delay(attempts: int) -> timedelta:
    exponent = min(max(attempts - 1, 0), 30)
    seconds = settings.LTI_PASSBACK_RETRY_BASE_SECONDS * 2**exponent
    return timedelta(seconds=min(seconds, settings.LTI_PASSBACK_RETRY_MAX_SECONDS))


@transaction.atomic
def passbacks_refresh(*, exercise_id: int, student_id: int, now=None) -> int:
    """The student's result of the exercise may have changed: each of their links to it
    takes the best graded attempt's score and is queued to be sent; an unchanged score is
    not sent again. Returns how many were queued."""
    rows = list(
        GradePassback.objects.select_for_update().filter(
            exercise_id=exercise_id, user_id=student_id
        )
    )
    if not rows:
        return 0
    summary = (
        ExerciseSummary.objects.filter(exercise_id=exercise_id, student_id=student_id)
        .select_related("best_submission", "exercise")
        .first()
    )
    best = summary.best_submission if summary else None
    if best is None or summary.best_score is None:
        return 0  # nothing graded yet (or every attempt failed to run)
    score = (
        float(summary.best_score),
        float(summary.max_score or summary.exercise.max_score or 0),
        "PendingManual" if best.needs_manual else "FullyGraded",
    )
    now = now or timezone.now()
    queued = 0
    for row in rows:
        if (row.score_given, row.score_maximum, row.grading_progress) == score and (
            row.status != GradePassback.Status.WAITING
        ):
            continue
        row.score_given, row.score_maximum, row.grading_progress = score
        row.scored_at = now
        row.status = GradePassback.Status.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.last_error = ""
        row.save()
        queue.enqueue(queue.PASSBACK_SEND, row.pk)
        queued += 1
    return queued


def _grade(row: GradePassback) -> Grade:
    return (
        Grade()
        .set_score_given(row.score_given)
        .set_score_maximum(row.score_maximum)
        .set_activity_progress("Completed")
        .set_grading_progress(row.grading_progress or "FullyGraded")
        .set_timestamp(row.scored_at.isoformat())
        .set_user_id(row.lti_user.sub)
    )


def _post(row: GradePassback) -> None:
    """POST the score; raises what the LMS (or the network) answered."""
    registration = registration_for(row.registration)
    connector = ServiceConnector(registration, LmsSession())
    service = AssignmentsGradesService(
        connector, {"scope": list(row.link.ags_scopes), "lineitem": row.link.line_item_url}
    )
    service.put_grade(_grade(row))


def _reason(exc: Exception) -> tuple[str, bool]:
    """What went wrong, and whether trying later may help."""
    if isinstance(exc, LtiServiceException):
        response = exc.response
        status = response.status_code
        body = (response.text or "").strip()[:500]
        return f"HTTP {status} from {response.url}: {body}", (
            status >= 500 or status in RETRY_STATUSES
        )
    if isinstance(exc, requests.RequestException):
        return f"LMS unreachable: {exc}", True
    return f"{type(exc).__name__}: {exc}", False


def passback_send(*, passback_id: int, now=None) -> GradePassback | None:
    """Send one due score. Idempotent: a row already sent, refused, or not yet due is
    left alone; run twice at once, the second waits for the first's lock (PostgreSQL)
    and then finds it sent."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            GradePassback.objects.select_for_update()
            .select_related("registration", "link", "lti_user")
            .filter(
                pk=passback_id,
                status=GradePassback.Status.PENDING,
                next_attempt_at__lte=now,
                registration__status=Registration.Status.ACTIVE,
            )
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        try:
            _post(row)
        except (LtiException, requests.RequestException, ValueError) as exc:
            reason, later = _reason(exc)
            row.last_error = reason
            if not later:
                row.status = GradePassback.Status.REFUSED
                row.next_attempt_at = None
                log.warning("LTI score %s refused by the LMS: %s", row.pk, reason)
            elif row.attempts >= settings.LTI_PASSBACK_MAX_ATTEMPTS:
                row.status = GradePassback.Status.FAILED
                row.next_attempt_at = None
                log.error(
                    "LTI score %s given up after %s attempts: %s", row.pk, row.attempts, reason
                )
            else:
                row.next_attempt_at = now + retry_delay(row.attempts)
                log.warning(
                    "LTI score %s not delivered (attempt %s, next at %s): %s",
                    row.pk,
                    row.attempts,
                    row.next_attempt_at.isoformat(),
                    reason,
                )
        else:
            row.status = GradePassback.Status.SENT
            row.sent_at = now
            row.next_attempt_at = None
            row.last_error = ""
            log.info("LTI score %s sent: %s/%s", row.pk, row.score_given, row.score_maximum)
        row.save()
    return row


def passbacks_send_due(*, now=None, limit: int = 200) -> int:
    """Send the scores whose retry is due (beat, every minute). Returns how many sent."""
    now = now or timezone.now()
    ids = list(
        GradePassback.objects.filter(
            status=GradePassback.Status.PENDING,
            next_attempt_at__lte=now,
            registration__status=Registration.Status.ACTIVE,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        row = passback_send(passback_id=pk, now=now)
        sent += bool(row and row.status == GradePassback.Status.SENT)
    return sent


@transaction.atomic
def passbacks_retry_now(*, ids: list[int]) -> int:
    """The admin's "retry now": refused, failed or waiting-to-retry scores are due again,
    with a fresh count of attempts. Returns how many."""
    rows = list(
        GradePassback.objects.select_for_update()
        .filter(pk__in=ids, score_given__isnull=False)
        .exclude(status=GradePassback.Status.SENT)
    )
    now = timezone.now()
    for row in rows:
        row.status = GradePassback.Status.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        queue.enqueue(queue.PASSBACK_SEND, row.pk)
    return len(rows)
