"""What the credentials app hears from courses (which cannot call it: credentials sits
above courses). Connected in CredentialsConfig.ready()."""

from __future__ import annotations

from .queue import ISSUE_CREDENTIAL, enqueue


def on_course_completed(sender, *, student_id: int, course_id: int, **kwargs) -> None:
    """A student completed a course (courses.signals.course_completed, sent once after the
    completing transaction committed): queue the issuing of its credential."""
    enqueue(ISSUE_CREDENTIAL, student_id, course_id)
