"""When an exercise counts as passed: by its auto-graded points.

A lesson that asks for its exercise must not wait for a teacher to read a free-response
answer. So an attempt passes when its auto-graded tests earned every point, or the share
of them the teacher set (`Exercise.pass_threshold`, a percent); cells graded by hand do
not count for it, whether graded yet or not. An exercise with nothing auto-graded passes
on the teacher's scores, once every cell is graded. A teacher's score for a test (an
override) counts as the test's score. The late penalty lowers the score, not the pass.

`ExerciseSummary.passed` (what the courses' progress is told) is whether any graded
attempt passed; the student's result says how their attempt stands ("Auto-graded: passed.
2 points await your teacher.").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import CellResult, Exercise, Submission

EPSILON = 1e-6  # points are typed with a few decimals


@dataclass(frozen=True)
class AutoOutcome:
    """How one graded attempt stands by the passing rule (module docstring)."""

    earned: float  # auto-graded points earned (all points when nothing is auto-graded)
    possible: float  # auto-graded points of the exercise's cells
    needed: float  # points that pass
    awaiting: float  # points of cells waiting for a teacher
    passed: bool
    auto_graded: bool  # whether the exercise has auto-graded tests at all

    def sentence(self) -> str:
        """ "Auto-graded: passed. 2 points await your teacher." and the like."""
        parts = []
        if self.auto_graded and self.passed:
            parts.append(_("Auto-graded: passed."))
        elif self.auto_graded:
            parts.append(
                _(
                    "Auto-graded: not passed yet (%(earned)s of %(possible)s points, "
                    "%(needed)s needed)."
                )
                % {
                    "earned": points_text(self.earned),
                    "possible": points_text(self.possible),
                    "needed": points_text(self.needed),
                }
            )
        elif self.passed:
            parts.append(_("Passed."))
        if self.awaiting > EPSILON:
            count = math.ceil(self.awaiting - EPSILON)
            if not float(self.awaiting).is_integer():
                count = max(count, 2)  # "1.5 points"
            parts.append(
                ngettext(
                    "%(points)s point awaits your teacher.",
                    "%(points)s points await your teacher.",
                    count,
                )
                % {"points": points_text(self.awaiting)}
            )
        return " ".join(parts)

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "auto_score": self.earned if self.auto_graded else None,
            "auto_max_score": self.possible if self.auto_graded else None,
            "needed": self.needed,
            "awaiting_teacher": self.awaiting,
            "summary": self.sentence(),
        }


def points_text(value: float) -> str:
    """Points as people write them: 3, 5.5, 0.33 (in the reader's number format)."""
    number = round(float(value), 2)
    return formats.number_format(int(number) if number.is_integer() else number)


def auto_graded_ids(exercise: Exercise) -> frozenset[str]:
    """The grade_ids of the exercise's tests: the cells the grader scores on its own."""
    return frozenset(cell.grade_id for cell in exercise.source_spec.tests)


def outcome(
    exercise: Exercise, cells: Iterable[CellResult], *, auto_ids: frozenset[str] | None = None
) -> AutoOutcome:
    """How an attempt with these cell results stands (module docstring)."""
    cells = list(cells)
    auto_ids = auto_graded_ids(exercise) if auto_ids is None else auto_ids
    auto = [cell for cell in cells if cell.grade_id in auto_ids]
    awaiting = math.fsum(cell.max_score for cell in cells if cell.score is None)
    counted = auto if auto else cells
    possible = math.fsum(cell.max_score for cell in counted)
    earned = math.fsum(cell.score or 0 for cell in counted)
    threshold = exercise.pass_threshold
    needed = possible if threshold is None else possible * min(threshold, 100) / 100
    passed = possible > 0 and earned + EPSILON >= needed
    if not auto:  # graded by hand only: once every cell is graded
        passed = passed and awaiting <= EPSILON
    return AutoOutcome(
        earned=round(earned, 6),
        possible=round(possible, 6),
        needed=round(needed, 6),
        awaiting=round(awaiting, 6),
        passed=passed,
        auto_graded=bool(auto),
    )


def submission_outcome(submission: Submission) -> AutoOutcome | None:
    """How a graded attempt stands; None for one not graded (yet)."""
    if submission.status != Submission.Status.GRADED:
        return None
    return outcome(submission.exercise, submission.cells.all())


def any_passed(exercise: Exercise, submissions: Iterable[Submission]) -> bool:
    """Whether one of these graded attempts passed (cells prefetched or not)."""
    auto_ids = auto_graded_ids(exercise)
    return any(
        outcome(exercise, submission.cells.all(), auto_ids=auto_ids).passed
        for submission in submissions
    )
