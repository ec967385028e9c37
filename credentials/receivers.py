"""What the credentials app hears from courses (which cannot call it: credentials sits
above courses), and what it tells the student's cached dashboard panel (people.panels).
Connected in CredentialsConfig.ready()."""

from __future__ import annotations

from people import panels

from .queue import ISSUE_CREDENTIAL, enqueue


def on_course_completed(sender, *, student_id: int, course_id: int, **kwargs) -> None:
    """A student completed a course (courses.signals.course_completed, sent once after the
    completing transaction committed): queue the issuing of its credential."""
    enqueue(ISSUE_CREDENTIAL, student_id, course_id)


def on_credential_changed(sender, instance, **kwargs) -> None:
    """A credential issued, revoked or deleted, by the services or the admin: the
    student's "My credentials" changed."""
    panels.student_changed(instance.student_id)
