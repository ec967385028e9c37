"""Celery tasks of the credentials app: thin, on the default queue, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import queue
from .services import credential_issue


@shared_task(name=queue.ISSUE_CREDENTIAL)
def credential_issue_task(student_id: int, course_id: int) -> str | None:
    """Issue the credential of a completed course. Twice: the second run finds the
    credential issued (one per student and course, a database constraint) and returns it."""
    credential = credential_issue(student_id=student_id, course_id=course_id)
    return str(credential.pk) if credential else None
