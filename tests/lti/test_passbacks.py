"""Scores to an LMS that is down, or that refuses them: retried with backoff, kept with
the LMS's reason, visible and retried from the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grading.models import ExerciseSummary, Submission
from grading.services import exercise_outcome_publish
from lti import passbacks
from lti.models import GradePassback, LtiUser

pytestmark = pytest.mark.django_db


def graded(exercise, student, total: float, *, needs_manual=False) -> None:
    """A graded attempt and the summary grading keeps, published as grading publishes it
    (the path manual grading and the grader take: exercise_outcome_publish)."""
    submission = Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=Submission.objects.filter(exercise=exercise, student=student).count() + 1,
        origin=Submission.Origin.UPLOAD,
        notebook={},
        status=Submission.Status.GRADED,
        total=total,
        raw_total=total,
        max_total=exercise.max_score,
        needs_manual=needs_manual,
        graded_at=timezone.now(),
    )
    ExerciseSummary.objects.update_or_create(
        exercise=exercise,
        student=student,
        defaults={
            "best_submission": submission,
            "best_score": total,
            "max_score": exercise.max_score,
            "attempts": submission.attempt,
        },
    )
    exercise_outcome_publish(exercise=exercise, student=student)


@pytest.fixture
def student(client, lms, registration, exercise):
    response, _ = lms.launch(client, custom={"exercise": str(exercise.pk)})
    assert response.status_code == 302
    return LtiUser.objects.get(sub="lms-user-1").user


def test_a_score_for_an_lms_that_is_down_is_retried_with_backoff_and_delivered(
    lms, student, exercise, eager, django_capture_on_commit_callbacks, caplog, settings
):
    lms.scores_answer = 503
    with django_capture_on_commit_callbacks(execute=True):
        graded(exercise, student, 2)
    row = GradePassback.objects.get(user=student)
    assert row.status == GradePassback.Status.PENDING and row.attempts == 1
    assert "HTTP 503" in row.last_error and "not delivered" in caplog.text
    first_retry = row.next_attempt_at
    assert first_retry > timezone.now()
    assert lms.received.scores == []

    # not due yet: nothing is sent
    assert passbacks.passbacks_send_due(now=timezone.now()) == 0
    # still down at the first retry: the next one waits twice as long
    passbacks.passbacks_send_due(now=first_retry)
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at - first_retry == timedelta(
        seconds=2 * settings.LTI_PASSBACK_RETRY_BASE_SECONDS
    )

    lms.scores_answer = 200
    assert passbacks.passbacks_send_due(now=row.next_attempt_at) == 1
    row.refresh_from_db()
    assert row.status == GradePassback.Status.SENT and row.last_error == ""
    assert [s["body"]["scoreGiven"] for s in lms.received.scores] == [2]
    # sent: a second run (a redelivered task) sends nothing
    assert passbacks.passback_send(passback_id=row.pk, now=row.next_attempt_at) is None
    assert len(lms.received.scores) == 1


def test_a_refused_score_is_kept_with_the_reason_and_an_admin_retries_it(
    lms, student, exercise, eager, django_capture_on_commit_callbacks, admin_client, caplog
):
    lms.scores_answer = 400
    with django_capture_on_commit_callbacks(execute=True):
        graded(exercise, student, 3)
    row = GradePassback.objects.get(user=student)
    assert row.status == GradePassback.Status.REFUSED
    assert "HTTP 400" in row.last_error and "the LMS says no" in row.last_error
    assert "refused by the LMS" in caplog.text
    assert passbacks.passbacks_send_due(now=timezone.now() + timedelta(days=1)) == 0  # not retried

    # the admin sees it, with the reason, on the registration's page
    page = admin_client.get(f"/django-admin/lti/registration/{row.registration_id}/change/")
    text = page.content.decode()
    assert "Refused by the LMS" in text and "the LMS says no" in text

    lms.scores_answer = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/django-admin/lti/gradepassback/",
            {"action": "retry_now", "_selected_action": [row.pk]},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == GradePassback.Status.SENT
    assert [s["body"]["scoreGiven"] for s in lms.received.scores] == [3]


def test_a_score_waiting_for_a_teacher_is_sent_as_pending_manual(
    lms, student, exercise, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        graded(exercise, student, 1, needs_manual=True)
    body = lms.received.scores[0]["body"]
    assert body["gradingProgress"] == "PendingManual" and body["scoreGiven"] == 1


def test_a_student_without_an_lms_link_sends_nothing(
    lms, registration, exercise, eager, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    with django_capture_on_commit_callbacks(execute=True):
        graded(exercise, UserFactory(), 3)
    assert lms.received.scores == [] and not GradePassback.objects.exists()
