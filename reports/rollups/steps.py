"""A student's mastery history from their evidence, in plain Python: the incremental twin
of the set-based SQL in rebuild.py (same threshold, same months, same +1/-1 changes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

from ..models import MASTERY_THRESHOLD


def month_of(moment: datetime) -> date:
    """The first day of the month `moment` falls in, in the platform's time zone."""
    return timezone.localtime(moment).date().replace(day=1)


def steps_from(evidence: Iterable[tuple[datetime, int, float]]) -> dict[date, int]:
    """{month: level reached by the end of it} for the months with evidence, from
    (recorded_at, level, score) rows."""
    per_month: dict[date, int] = {}
    for recorded_at, level, score in evidence:
        month = month_of(recorded_at)
        reached = level if score >= MASTERY_THRESHOLD else 0
        per_month[month] = max(per_month.get(month, 0), reached)
    steps, best = {}, 0
    for month in sorted(per_month):
        best = max(best, per_month[month])
        steps[month] = best
    return steps


def changes_from(steps: dict[date, int]) -> Counter:
    """A student's steps as changes of the cohort tables: {(month, level): +1 into a level,
    -1 out of one}."""
    changes: Counter = Counter()
    previous = None
    for month in sorted(steps):
        level = steps[month]
        if level != previous:
            changes[(month, level)] += 1
            if previous is not None:
                changes[(month, previous)] -= 1
        previous = level
    return changes
