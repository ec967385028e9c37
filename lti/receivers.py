"""What the LTI tool hears from grading, which cannot call it (lti sits above it).
Connected in LtiConfig.ready(); each receiver calls one service and returns."""

from __future__ import annotations

from .models import GradePassback
from .passbacks import passbacks_refresh


def on_exercise_outcome_published(sender, *, exercise_id: int, student_id: int, **kwargs) -> None:
    """A student's result of an exercise was published (after commit): their scores for
    the LMS links to it take it and are queued. Most students have no LMS link: one
    indexed query, then nothing."""
    if GradePassback.objects.filter(exercise_id=exercise_id, user_id=student_id).exists():
        passbacks_refresh(exercise_id=exercise_id, student_id=student_id)
