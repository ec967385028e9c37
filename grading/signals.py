"""The one announcement grading makes: a student's outcome of an exercise was published
(graded, regraded, graded by hand), after its transaction committed. Apps above grading
(the LTI tool, which hands the score back to a university's LMS) cannot be called from
here, so they listen; a receiver queues its own work and returns."""

from functools import partial

from django.db import transaction
from django.dispatch import Signal

# sender=Exercise, exercise_id=<int>, student_id=<int>: that student's best result of that
# exercise (grading.models.ExerciseSummary) may have changed.
exercise_outcome_published = Signal()


def announce_outcome(*, exercise, student_id: int) -> None:
    """Send `exercise_outcome_published` once the current transaction commits (at once
    outside one); a rolled-back grading announces nothing."""
    transaction.on_commit(
        partial(
            exercise_outcome_published.send,
            sender=type(exercise),
            exercise_id=exercise.pk,
            student_id=student_id,
        )
    )
