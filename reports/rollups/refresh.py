"""The incremental path: a student's roll-ups follow their evidence, one batch at a time.

evidence_replace announces each batch once after commit (evidence.signals.evidence_replaced);
the reports app's receiver calls `mastery_refresh_queue`, which queues one task on the
default queue for the batch; the task calls `mastery_refresh_student`. Nothing here runs
in the writer's process or transaction. `mastery_refresh_stale` (periodic) catches up with
evidence written past evidence_replace (a restore, raw SQL).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Avg, Case, Count, IntegerField, Max, Min, Value, When
from django.utils import timezone

from curricula.models import Competence
from evidence.models import CompetenceEvidence
from people.models import User

from .. import queue
from ..caching import rollups_changed
from ..models import (
    MASTERY_THRESHOLD,
    CohortMasteryChange,
    CohortMonthlyActivity,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    MasteryRollup,
    MasteryStep,
    RegionLevelChange,
    RegionMonthlyActivity,
)
from .keys import record_key
from .steps import changes_from, steps_from
from .tables import (
    CHANGE,
    CHANGE_COLUMNS,
    CHANGE_KEY,
    COUNT,
    COUNTRY_COLUMNS,
    COUNTRY_KEY,
    CUBE_COLUMNS,
    CUBE_KEY,
    LEVEL_COLUMNS,
    LEVEL_KEY,
    REGION_ACTIVITY_KEY,
    REGION_COLUMNS,
    REGION_KEY,
    cohort_places,
    student_cohort_ids,
    upsert,
)


def mastery_refresh_queue(*, student_id: int, competence_ids: Iterable[int]) -> None:
    """Queue the refresh of one evidence batch: one task for the student and every
    competence of the batch, on the default queue, after the current transaction commits."""
    ids = sorted(set(competence_ids))
    if ids:
        queue.enqueue(queue.MASTERY_REFRESH, student_id, ids)


@transaction.atomic
def mastery_refresh_student(*, student_id: int, competence_ids: Iterable[int]) -> int:
    """Recompute a student's roll-ups and steps on `competence_ids` from the evidence that
    stands now, and move the cohort figures by the difference; returns how many pairs
    changed. Idempotent: run twice (a redelivered task, the catch-up finding the same pair),
    the second run finds the stored steps equal to the evidence and changes nothing."""
    _lock_student(student_id)
    counted_in = None
    changed = 0
    for competence_id in sorted(set(competence_ids)):
        moved, counted_in = _refresh_pair(student_id, competence_id, counted_in)
        changed += moved
    if changed and counted_in is not None:
        # the reports drawing these cohorts' figures are retired (reports/caching.py)
        rollups_changed(cohort_ids=counted_in.cohort_ids)
    return changed


def mastery_refresh_stale(*, since=None) -> int:
    """Refresh the pairs whose roll-up disagrees with their evidence recorded since `since`
    (default: two days ago): rows written past evidence_replace, or a refresh task that was
    lost. Found set-based; only those pairs are recomputed. Older drift: `rebuild_mastery`."""
    since = since or timezone.now() - timedelta(days=2)
    evidence = CompetenceEvidence._meta.db_table
    rollup = MasteryRollup._meta.db_table
    sql = f"""
        SELECT e.student_id, e.competence_id FROM (
            SELECT student_id, competence_id, COUNT(*) AS n, MAX(recorded_at) AS last
            FROM {evidence} x
            WHERE EXISTS (SELECT 1 FROM {evidence} y WHERE y.recorded_at >= %s
                          AND y.student_id = x.student_id AND y.competence_id = x.competence_id)
            GROUP BY student_id, competence_id
        ) e LEFT JOIN {rollup} r
          ON r.student_id = e.student_id AND r.competence_id = e.competence_id
        WHERE r.id IS NULL OR r.evidence_count <> e.n OR r.last_activity_at <> e.last
        UNION
        SELECT r.student_id, r.competence_id FROM {rollup} r
        WHERE r.last_activity_at >= %s AND NOT EXISTS (
            SELECT 1 FROM {evidence} e
            WHERE e.student_id = r.student_id AND e.competence_id = r.competence_id)
    """  # noqa: S608 - table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, since])
        pairs = cursor.fetchall()
    per_student = defaultdict(set)
    for student_id, competence_id in pairs:
        per_student[student_id].add(competence_id)
    for student_id, competence_ids in sorted(per_student.items()):
        mastery_refresh_student(student_id=student_id, competence_ids=competence_ids)
    return len(pairs)


# ---------------------------------------------------------------------------------------
def _lock_student(student_id: int) -> None:
    # One refresh per student at a time: two workers refreshing the same student's batches
    # would otherwise both read the old steps and both apply the same change.
    list(User.objects.select_for_update().filter(pk=student_id).values_list("pk"))


def _level_expression():
    return Max(
        Case(
            When(score__gte=MASTERY_THRESHOLD, then="level"),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


class CountedIn(NamedTuple):
    """Where a student's figures count, looked up once per refresh."""

    cohort_ids: list[int]  # the student's cohorts
    key: int  # the student's record key, summed beside every count they are in


def _refresh_pair(
    student_id: int, competence_id: int, counted_in: CountedIn | None
) -> tuple[bool, CountedIn | None]:
    """(whether the steps moved, where the student counts if it had to be looked up)."""
    framework_id = (
        Competence.objects.filter(pk=competence_id).values_list("area__framework_id", flat=True)
    ).first()
    evidence = CompetenceEvidence.objects.filter(student_id=student_id, competence_id=competence_id)
    new_steps = (
        steps_from(evidence.values_list("recorded_at", "level", "score"))
        if framework_id is not None
        else {}
    )
    pair_steps = MasteryStep.objects.filter(student_id=student_id, competence_id=competence_id)
    old_steps = dict(pair_steps.values_list("month", "level"))
    if not new_steps:
        MasteryRollup.objects.filter(student_id=student_id, competence_id=competence_id).delete()
    else:
        figures = evidence.aggregate(
            level=_level_expression(),
            evidence_count=Count("pk"),
            average_score=Avg("score"),
            first_activity_at=Min("recorded_at"),
            last_activity_at=Max("recorded_at"),
        )
        MasteryRollup.objects.update_or_create(
            student_id=student_id,
            competence_id=competence_id,
            defaults={"framework_id": framework_id, **figures},
        )
    if new_steps == old_steps:
        return False, counted_in
    pair_steps.delete()
    MasteryStep.objects.bulk_create(
        MasteryStep(
            student_id=student_id,
            competence_id=competence_id,
            framework_id=framework_id,
            month=month,
            level=level,
        )
        for month, level in new_steps.items()
    )
    if counted_in is None:
        cohort_ids = student_cohort_ids(student_id)
        counted_in = CountedIn(cohort_ids, record_key(student_id) if cohort_ids else 0)
    cohort_ids, key = counted_in
    if not cohort_ids or framework_id is None:
        # no cohort: nothing to count in; the competence gone: its cohort rows went with it
        return True, counted_in
    changes = changes_from(new_steps)
    changes.subtract(changes_from(old_steps))
    _add_changes(cohort_ids, competence_id, framework_id, changes, key)
    touched = set(new_steps) ^ set(old_steps)
    still_active = set(
        MasteryStep.objects.filter(student_id=student_id, month__in=touched)
        .exclude(competence_id=competence_id)
        .values_list("month", flat=True)
    )
    activity = {
        month: (1 if month in new_steps else -1) for month in touched if month not in still_active
    }
    _add_activity(cohort_ids, activity, key)
    return True, counted_in


def _add_changes(cohort_ids, competence_id, framework_id, changes: Counter, key: int) -> None:
    """Move the cohort and institution tables, the cube and its sums by a student's changes
    on one competence, and their key sums by the student's record `key` as many times
    (rows in key order, so concurrent refreshes lock them in the same order)."""
    items = [(month, level, delta) for (month, level), delta in sorted(changes.items()) if delta]
    if not items:
        return
    adapt = connection.ops.adapt_datefield_value
    upsert(
        CohortMasteryChange,
        CHANGE_KEY,
        CHANGE_COLUMNS,
        CHANGE,
        [
            (c, competence_id, framework_id, adapt(m), lv, d, d * key)
            for c in sorted(cohort_ids)
            for m, lv, d in items
        ],
    )
    cube: Counter = Counter()
    per_institution: Counter = Counter()
    for place in cohort_places(cohort_ids).values():
        for month, level, delta in items:
            cube[(place.region_id, place.kind, place.track, place.academic_year, month, level)] += (
                delta
            )
            per_institution[
                (place.institution_id, place.track, place.academic_year, month, level)
            ] += delta
    country: Counter = Counter()
    for (_region, kind, track, year, month, level), delta in cube.items():
        country[(kind, track, year, month, level)] += delta
    upsert(
        InstitutionLevelChange,
        LEVEL_KEY,
        LEVEL_COLUMNS,
        CHANGE,
        [
            (i, t, y, framework_id, adapt(m), lv, d, d * key)
            for (i, t, y, m, lv), d in sorted(per_institution.items())
            if d
        ],
    )
    upsert(
        MasteryCube,
        CUBE_KEY,
        CUBE_COLUMNS,
        CHANGE,
        [
            (r, k, t, y, competence_id, framework_id, adapt(m), lv, d, d * key)
            for (r, k, t, y, m, lv), d in sorted(cube.items())
            if d
        ],
    )
    upsert(
        RegionLevelChange,
        REGION_KEY,
        REGION_COLUMNS,
        CHANGE,
        [
            (r, k, t, y, framework_id, adapt(m), lv, d, d * key)
            for (r, k, t, y, m, lv), d in sorted(cube.items())
            if d
        ],
    )
    upsert(
        CountryCompetenceChange,
        COUNTRY_KEY,
        COUNTRY_COLUMNS,
        CHANGE,
        [
            (k, t, y, competence_id, framework_id, adapt(m), lv, d, d * key)
            for (k, t, y, m, lv), d in sorted(country.items())
            if d
        ],
    )
    # a row whose change nets to zero stays while it still moves the key sum
    empty = {"change": 0, "key_change": 0}
    CohortMasteryChange.objects.filter(
        cohort_id__in=cohort_ids, competence_id=competence_id, **empty
    ).delete()
    InstitutionLevelChange.objects.filter(framework_id=framework_id, **empty).delete()
    MasteryCube.objects.filter(competence_id=competence_id, **empty).delete()
    RegionLevelChange.objects.filter(framework_id=framework_id, **empty).delete()
    CountryCompetenceChange.objects.filter(competence_id=competence_id, **empty).delete()


def _add_activity(cohort_ids, deltas: dict[date, int], key: int) -> None:
    """Move the cohorts' active students, and their sums per region, kind and track, and
    the key sums by the student's record `key`."""
    deltas = {month: delta for month, delta in sorted(deltas.items()) if delta}
    if not deltas:
        return
    adapt = connection.ops.adapt_datefield_value
    upsert(
        CohortMonthlyActivity,
        ["cohort_id", "month"],
        ["cohort_id", "month", *COUNT],
        COUNT,
        [(c, adapt(m), d, d * key) for c in cohort_ids for m, d in deltas.items()],
    )
    per_region: Counter = Counter()
    for place in cohort_places(cohort_ids).values():
        for month, delta in deltas.items():
            per_region[(place.region_id, place.kind, place.track, place.academic_year, month)] += (
                delta
            )
    upsert(
        RegionMonthlyActivity,
        REGION_ACTIVITY_KEY,
        [*REGION_ACTIVITY_KEY, *COUNT],
        COUNT,
        [
            (r, k, t, y, adapt(m), d, d * key)
            for (r, k, t, y, m), d in sorted(per_region.items())
            if d
        ],
    )
    CohortMonthlyActivity.objects.filter(cohort_id__in=cohort_ids, students=0, key_sum=0).delete()
    RegionMonthlyActivity.objects.filter(students=0, key_sum=0).delete()
