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
    CohortMonthlyActivity,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    MasteryRollup,
    RegionLevelChange,
    RegionMonthlyActivity,
)
from .keys import record_key
from .steps import changes_from, steps_from
from .tables import (
    CHANGE,
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
    CohortPlace,
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
    """Recompute a student's roll-ups and steps on `competence_ids` (one evidence batch)
    from the evidence that stands now, and move the cohort figures by the difference;
    returns how many pairs changed. A batch costs the same couple of dozen statements
    however many competences and rows it has: each table is read and written once for
    the whole batch, never once per pair or per row. Idempotent: run twice (a redelivered
    task, the catch-up finding the same pair), the second run finds the stored steps equal
    to the evidence and changes nothing."""
    ids = sorted(set(competence_ids))
    if not ids:
        return 0
    _lock_student(student_id)
    frameworks = dict(Competence.objects.filter(pk__in=ids).values_list("pk", "area__framework_id"))
    evidence = CompetenceEvidence.objects.filter(student_id=student_id, competence_id__in=ids)
    rows: dict[int, list] = defaultdict(list)
    for competence_id, *row in evidence.values_list(
        "competence_id", "recorded_at", "level", "score"
    ):
        rows[competence_id].append(row)
    # a competence that is gone has no steps (its evidence went with it)
    new_steps = {c: steps_from(rows[c]) if c in frameworks else {} for c in ids}
    old_steps: dict[int, dict[date, int]] = defaultdict(dict)
    # the months the student was active in before, on the competences outside the batch
    untouched: set[date] = set()
    for competence_id, months, levels in MasteryRollup.objects.filter(
        student_id=student_id
    ).values_list("competence_id", "step_months", "step_levels"):
        if competence_id in new_steps:
            old_steps[competence_id] = dict(zip(months, levels, strict=True))
        else:
            untouched.update(months)
    _store_rollups(student_id, evidence, frameworks, ids, new_steps)
    moved = [c for c in ids if new_steps[c] != old_steps[c]]
    if not moved:
        return 0
    untouched.update(m for c in ids if c not in moved for m in new_steps[c])
    cohort_ids = student_cohort_ids(student_id)
    if cohort_ids:
        key = record_key(student_id)
        places = cohort_places(cohort_ids)
        changes: dict[tuple[int, int], Counter] = {}
        for c in moved:
            if c not in frameworks:
                continue  # the competence gone: its cohort rows went with it
            pair = changes_from(new_steps[c])
            pair.subtract(changes_from(old_steps[c]))
            changes[(c, frameworks[c])] = pair
        add_changes(places, changes, key)
        before = untouched.union(*(old_steps[c] for c in moved))
        after = untouched.union(*(new_steps[c] for c in moved))
        activity = {month: 1 for month in after - before}
        activity.update({month: -1 for month in before - after})
        add_activity(places, activity, key)
        # the reports drawing these cohorts' figures are retired (reports/caching.py)
        rollups_changed(cohort_ids=cohort_ids)
    return len(moved)


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
        WHERE r.student_id IS NULL OR r.evidence_count <> e.n OR r.last_activity_at <> e.last
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


ROLLUP_FIGURES = [
    "framework",
    "level",
    "evidence_count",
    "average_score",
    "first_activity_at",
    "last_activity_at",
    "step_months",
    "step_levels",
]


def _store_rollups(
    student_id: int, evidence, frameworks: dict, ids: list[int], steps: dict[int, dict]
) -> None:
    """The student's roll-ups on the batch's competences, from the evidence that stands,
    with their `steps` ({competence: {month: level}}): one aggregate over the batch's
    pairs, one upsert, one delete of the pairs left without evidence."""
    present = [c for c in ids if steps[c]]
    figures = (
        evidence.filter(competence_id__in=present)
        .order_by()
        .values("competence_id")
        .annotate(
            level_reached=_level_expression(),
            count=Count("pk"),
            average=Avg("score"),
            first=Min("recorded_at"),
            last=Max("recorded_at"),
        )
    )
    rollups = [
        MasteryRollup(
            student_id=student_id,
            competence_id=f["competence_id"],
            framework_id=frameworks[f["competence_id"]],
            level=f["level_reached"],
            evidence_count=f["count"],
            average_score=f["average"],
            first_activity_at=f["first"],
            last_activity_at=f["last"],
            step_months=sorted(steps[f["competence_id"]]),
            step_levels=[level for _month, level in sorted(steps[f["competence_id"]].items())],
        )
        for f in sorted(figures, key=lambda f: f["competence_id"])
    ]
    MasteryRollup.objects.bulk_create(
        rollups,
        update_conflicts=True,
        unique_fields=["student", "competence"],
        update_fields=ROLLUP_FIGURES,
    )
    left = sorted(set(ids) - set(present))  # no evidence any more, or the competence gone
    if left:
        _delete(MasteryRollup, student_id=[student_id], competence_id=left)


def _zero_rows(model, count: list[str], **keys) -> None:
    """Delete the rows among `keys` ({column: the values just moved}) whose figures net to
    zero (a level row whose change nets to zero stays while it still moves the key sum)."""
    _delete(model, zero=count, **keys)


def _delete(model, *, zero: list[str] = (), **keys) -> None:
    """DELETE the rows of a derived table (nothing refers to them) whose columns hold the
    values of `keys` ({column: values}) and whose `zero` columns are 0, in one statement
    (a queryset's delete() would read the rows first)."""
    adapt = connection.ops.adapt_datefield_value
    where, params = [], []
    for column, values in keys.items():
        where.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
        params.extend(adapt(v) if isinstance(v, date) else v for v in values)
    where.extend(f"{column} = 0" for column in zero)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {model._meta.db_table} WHERE {' AND '.join(where)}",  # noqa: S608
            params,
        )


def add_changes(
    places: dict[int, CohortPlace], changes: dict[tuple[int, int], Counter], key: int
) -> None:
    """Move the institution table, the cube and its sums by a student's changes on the
    batch's competences ({(competence, framework): {(month, level): delta}}), and
    their key sums by the student's record `key` as many times: one upsert per table, rows
    in key order, so concurrent refreshes lock them in the same order."""
    items = [
        (c, f, month, level, delta)
        for (c, f), pair in sorted(changes.items())
        for (month, level), delta in sorted(pair.items())
        if delta
    ]
    if not items:
        return
    adapt = connection.ops.adapt_datefield_value
    per_institution: Counter = Counter()
    cube: Counter = Counter()
    region: Counter = Counter()
    country: Counter = Counter()
    for p in places.values():
        for c, f, month, level, delta in items:
            per_institution[(p.institution_id, p.track, p.academic_year, f, month, level)] += delta
            cube[(p.region_id, p.kind, p.track, p.academic_year, c, f, month, level)] += delta
            region[(p.region_id, p.kind, p.track, p.academic_year, f, month, level)] += delta
            country[(p.kind, p.track, p.academic_year, c, f, month, level)] += delta
    for model, unique, columns, sums in (
        (InstitutionLevelChange, LEVEL_KEY, LEVEL_COLUMNS, per_institution),
        (MasteryCube, CUBE_KEY, CUBE_COLUMNS, cube),
        (RegionLevelChange, REGION_KEY, REGION_COLUMNS, region),
        (CountryCompetenceChange, COUNTRY_KEY, COUNTRY_COLUMNS, country),
    ):
        upsert(
            model,
            unique,
            columns,
            CHANGE,
            [(*k[:-2], adapt(k[-2]), k[-1], d, d * key) for k, d in sorted(sums.items()) if d],
        )
    competences = sorted({c for c, *_rest in items})
    frameworks = sorted({f for _c, f, *_rest in items})
    months = sorted({month for _c, _f, month, *_rest in items})
    tracks = sorted({p.track for p in places.values()})
    years = sorted({p.academic_year for p in places.values()})
    kinds = sorted({p.kind for p in places.values()})
    regions = sorted({p.region_id for p in places.values()})
    common = {"track": tracks, "academic_year": years, "month": months}
    _zero_rows(
        InstitutionLevelChange,
        CHANGE,
        institution_id=sorted({p.institution_id for p in places.values()}),
        framework_id=frameworks,
        **common,
    )
    _zero_rows(
        MasteryCube,
        CHANGE,
        region_id=regions,
        kind=kinds,
        competence_id=competences,
        **common,
    )
    _zero_rows(
        RegionLevelChange,
        CHANGE,
        region_id=regions,
        kind=kinds,
        framework_id=frameworks,
        **common,
    )
    _zero_rows(CountryCompetenceChange, CHANGE, kind=kinds, competence_id=competences, **common)


def add_activity(places: dict[int, CohortPlace], deltas: dict[date, int], key: int) -> None:
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
        [(c, adapt(m), d, d * key) for c in sorted(places) for m, d in deltas.items()],
    )
    per_region: Counter = Counter()
    for place in places.values():
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
    months = sorted(deltas)
    _zero_rows(CohortMonthlyActivity, COUNT, cohort_id=sorted(places), month=months)
    _zero_rows(
        RegionMonthlyActivity,
        COUNT,
        region_id=sorted({p.region_id for p in places.values()}),
        month=months,
    )
