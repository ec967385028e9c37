"""Writes of the reports app: mastery roll-ups (incremental and from scratch), the access
log, background report builds and signed deliveries to ministry endpoints.

Incremental and from-scratch paths produce the same rows by construction: both compute
"level reached" as the highest level among evidence scoring >= MASTERY_THRESHOLD, both
take the month of a piece of evidence in settings.TIME_ZONE, and both turn a student's
monthly steps into the same +1/-1 changes of the cohort tables.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import connection, transaction
from django.db.models import Avg, Case, Count, IntegerField, Max, Min, Value, When
from django.utils import timezone

from curricula.models import Competence
from evidence.models import CompetenceEvidence
from people.models import Cohort, Membership, Role, User

from .models import (
    MASTERY_THRESHOLD,
    CohortEnrolment,
    CohortMasteryChange,
    CohortMonthlyActivity,
    CohortMonthlyCompletion,
    CountryCompetenceChange,
    DeliveryAttempt,
    InstitutionLevelChange,
    MasteryCube,
    MasteryRollup,
    MasteryStep,
    RegionLevelChange,
    RegionMonthlyActivity,
    ReportAccessLog,
    ReportBuild,
    ReportDelivery,
    ReportSchedule,
)

logger = logging.getLogger(__name__)


def month_of(moment) -> date:
    """The first day of the month `moment` falls in, in the platform's time zone."""
    return timezone.localtime(moment).date().replace(day=1)


# ---------------------------------------------------------------------------------------
# Incremental roll-up: one (student, competence) pair
# ---------------------------------------------------------------------------------------
def _level_expression():
    return Max(
        Case(
            When(score__gte=MASTERY_THRESHOLD, then="level"),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def _steps_from(evidence: list[tuple]) -> dict[date, int]:
    """{month: level reached by the end of it} for the months with evidence."""
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


def _changes_from(steps: dict[date, int]) -> Counter:
    """A student's steps as changes of the cohort table: +1 into a level, -1 out of one."""
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


def _upsert(model, key: list[str], columns: list[str], add: str, rows: list[tuple]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE SET add = add + excluded.add (PostgreSQL, SQLite)."""
    if not rows:
        return
    table = model._meta.db_table
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {add} = {table}.{add} + excluded.{add}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


CHANGE_KEY = ["cohort_id", "competence_id", "month", "level"]
CHANGE_COLUMNS = ["cohort_id", "competence_id", "framework_id", "month", "level", "change"]
LEVEL_KEY = ["institution_id", "track", "academic_year", "framework_id", "month", "level"]
LEVEL_COLUMNS = [*LEVEL_KEY, "change"]
CUBE_KEY = ["region_id", "kind", "track", "academic_year", "competence_id", "month", "level"]
CUBE_COLUMNS = [*CUBE_KEY[:5], "framework_id", "month", "level", "change"]
REGION_KEY = ["region_id", "kind", "track", "academic_year", "framework_id", "month", "level"]
REGION_COLUMNS = [*REGION_KEY, "change"]
COUNTRY_KEY = ["kind", "track", "academic_year", "competence_id", "month", "level"]
COUNTRY_COLUMNS = [*COUNTRY_KEY[:4], "framework_id", "month", "level", "change"]
REGION_ACTIVITY_KEY = ["region_id", "kind", "track", "academic_year", "month"]


def cohort_attributes(cohort_ids) -> dict[int, tuple]:
    """{cohort: (region, institution kind, track, academic year, institution)}."""
    return {
        row[0]: row[1:]
        for row in Cohort.objects.filter(pk__in=cohort_ids).values_list(
            "pk",
            "institution__region_id",
            "institution__kind",
            "track",
            "academic_year",
            "institution_id",
        )
    }


def _add_changes(cohort_ids, competence_id, framework_id, changes: Counter) -> None:
    """Move the cohort and institution tables, the cube and its sums by a student's changes
    on one competence (rows in key order, so concurrent refreshes lock them in the same
    order)."""
    items = [(month, level, delta) for (month, level), delta in sorted(changes.items()) if delta]
    if not items:
        return
    adapt = connection.ops.adapt_datefield_value
    _upsert(
        CohortMasteryChange,
        CHANGE_KEY,
        CHANGE_COLUMNS,
        "change",
        [
            (c, competence_id, framework_id, adapt(m), lv, d)
            for c in sorted(cohort_ids)
            for m, lv, d in items
        ],
    )
    cube: Counter = Counter()
    per_institution: Counter = Counter()
    for region, kind, track, year, institution in cohort_attributes(cohort_ids).values():
        for month, level, delta in items:
            cube[(region, kind, track, year, month, level)] += delta
            per_institution[(institution, track, year, month, level)] += delta
    country: Counter = Counter()
    for (_region, kind, track, year, month, level), delta in cube.items():
        country[(kind, track, year, month, level)] += delta
    _upsert(
        InstitutionLevelChange,
        LEVEL_KEY,
        LEVEL_COLUMNS,
        "change",
        [
            (i, t, y, framework_id, adapt(m), lv, d)
            for (i, t, y, m, lv), d in sorted(per_institution.items())
            if d
        ],
    )
    _upsert(
        MasteryCube,
        CUBE_KEY,
        CUBE_COLUMNS,
        "change",
        [
            (r, k, t, y, competence_id, framework_id, adapt(m), lv, d)
            for (r, k, t, y, m, lv), d in sorted(cube.items())
            if d
        ],
    )
    _upsert(
        RegionLevelChange,
        REGION_KEY,
        REGION_COLUMNS,
        "change",
        [
            (r, k, t, y, framework_id, adapt(m), lv, d)
            for (r, k, t, y, m, lv), d in sorted(cube.items())
            if d
        ],
    )
    _upsert(
        CountryCompetenceChange,
        COUNTRY_KEY,
        COUNTRY_COLUMNS,
        "change",
        [
            (k, t, y, competence_id, framework_id, adapt(m), lv, d)
            for (k, t, y, m, lv), d in sorted(country.items())
            if d
        ],
    )
    CohortMasteryChange.objects.filter(
        cohort_id__in=cohort_ids, competence_id=competence_id, change=0
    ).delete()
    InstitutionLevelChange.objects.filter(framework_id=framework_id, change=0).delete()
    MasteryCube.objects.filter(competence_id=competence_id, change=0).delete()
    RegionLevelChange.objects.filter(framework_id=framework_id, change=0).delete()
    CountryCompetenceChange.objects.filter(competence_id=competence_id, change=0).delete()


def _add_activity(cohort_ids, deltas: dict[date, int]) -> None:
    """Move the cohorts' active students, and their sums per region, kind and track."""
    deltas = {month: delta for month, delta in sorted(deltas.items()) if delta}
    if not deltas:
        return
    adapt = connection.ops.adapt_datefield_value
    _upsert(
        CohortMonthlyActivity,
        ["cohort_id", "month"],
        ["cohort_id", "month", "students"],
        "students",
        [(c, adapt(m), d) for c in cohort_ids for m, d in deltas.items()],
    )
    per_region: Counter = Counter()
    for region, kind, track, year, _institution in cohort_attributes(cohort_ids).values():
        for month, delta in deltas.items():
            per_region[(region, kind, track, year, month)] += delta
    _upsert(
        RegionMonthlyActivity,
        REGION_ACTIVITY_KEY,
        [*REGION_ACTIVITY_KEY, "students"],
        "students",
        [(r, k, t, y, adapt(m), d) for (r, k, t, y, m), d in sorted(per_region.items()) if d],
    )
    CohortMonthlyActivity.objects.filter(cohort_id__in=cohort_ids, students=0).delete()
    RegionMonthlyActivity.objects.filter(students=0).delete()


def student_cohort_ids(student_id: int) -> list[int]:
    return list(
        Membership.objects.filter(
            user_id=student_id, role=Role.STUDENT, cohort__isnull=False
        ).values_list("cohort_id", flat=True)
    )


@transaction.atomic
def mastery_refresh(*, student_id: int, competence_id: int) -> MasteryRollup | None:
    """Recompute one student's roll-up and steps on one competence from the evidence that
    stands now, and move the cohort figures by the difference. Running it twice changes
    nothing the second time."""
    # One refresh per student at a time: two workers grading the same student's exercises
    # would otherwise both read the old steps and both apply the same change.
    list(User.objects.select_for_update().filter(pk=student_id).values_list("pk"))
    framework_id = (
        Competence.objects.filter(pk=competence_id).values_list("area__framework_id", flat=True)
    ).first()
    evidence = CompetenceEvidence.objects.filter(student_id=student_id, competence_id=competence_id)
    new_steps = (
        _steps_from(list(evidence.values_list("recorded_at", "level", "score")))
        if framework_id is not None
        else {}
    )
    old_steps = dict(
        MasteryStep.objects.filter(student_id=student_id, competence_id=competence_id).values_list(
            "month", "level"
        )
    )
    rollup = None
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
        rollup, _created = MasteryRollup.objects.update_or_create(
            student_id=student_id,
            competence_id=competence_id,
            defaults={"framework_id": framework_id, **figures},
        )
    if new_steps == old_steps:
        return rollup
    MasteryStep.objects.filter(student_id=student_id, competence_id=competence_id).delete()
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
    cohort_ids = student_cohort_ids(student_id)
    if not cohort_ids:
        return rollup
    changes = _changes_from(new_steps)
    changes.subtract(_changes_from(old_steps))
    if framework_id is None:  # the competence is gone; its cohort rows went with it
        return rollup
    _add_changes(cohort_ids, competence_id, framework_id, changes)
    touched = set(new_steps) ^ set(old_steps)
    still_active = set(
        MasteryStep.objects.filter(student_id=student_id, month__in=touched)
        .exclude(competence_id=competence_id)
        .values_list("month", flat=True)
    )
    activity = {
        month: (1 if month in new_steps else -1) for month in touched if month not in still_active
    }
    _add_activity(cohort_ids, activity)
    return rollup


# Pairs whose evidence changed and whose refresh waits for a commit (per thread).
_pending = threading.local()


def _pending_pairs() -> set:
    if not hasattr(_pending, "pairs"):
        _pending.pairs = set()
    return _pending.pairs


def mastery_refresh_later(*, student_id: int, competence_id: int) -> None:
    """Called by the evidence receivers: refresh the pair once its transaction commits, and
    once only however many of its rows changed (a regrade deletes and re-adds them all).
    A rolled-back transaction drops its callbacks; the next change registers new ones."""
    pair = (student_id, competence_id)
    _pending_pairs().add(pair)
    transaction.on_commit(lambda: _refresh_if_pending(pair))


def _refresh_if_pending(pair: tuple[int, int]) -> None:
    pending = _pending_pairs()
    if pair not in pending:
        return  # another callback of the same transaction did it
    pending.discard(pair)
    mastery_refresh(student_id=pair[0], competence_id=pair[1])


def mastery_refresh_stale(*, since=None) -> int:
    """Refresh the pairs whose roll-up disagrees with their evidence recorded since `since`
    (default: two days ago): rows written without signals (bulk_create, raw SQL). Found
    set-based; only those pairs are recomputed. Older drift: `rebuild_mastery`."""
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
    for student_id, competence_id in pairs:
        mastery_refresh(student_id=student_id, competence_id=competence_id)
    return len(pairs)


# ---------------------------------------------------------------------------------------
# Membership changes move a student's figures between cohorts
# ---------------------------------------------------------------------------------------
def _month_sql(column: str) -> tuple[str, tuple]:
    sql, params = connection.ops.datetime_trunc_sql("month", column, (), settings.TIME_ZONE)
    if connection.vendor == "postgresql":
        return f"({sql})::date", params
    return f"date({sql})", params


CHANGES_BODY = """
    SELECT student_id, competence_id, framework_id, month, level, 1 AS change
    FROM s WHERE prev IS NULL OR prev <> level
    UNION ALL
    SELECT student_id, competence_id, framework_id, month, prev, -1
    FROM s WHERE prev IS NOT NULL AND prev <> level
"""


def _changes_select(where: str = "") -> tuple[str, str]:
    """(body, WITH clause): every step of MasteryStep as +1 into its level and -1 out of the
    previous one, as rows (student_id, competence_id, framework_id, month, level, change);
    the set-based twin of _changes_from."""
    step = MasteryStep._meta.db_table
    lag = "LAG(level) OVER (PARTITION BY student_id, competence_id ORDER BY month)"
    columns = f"student_id, competence_id, framework_id, month, level, {lag} AS prev"
    with_clause = f"WITH s AS (SELECT {columns} FROM {step} {where})"  # noqa: S608
    return CHANGES_BODY, with_clause


def cohort_member_apply(*, student_id: int, cohort_id: int, sign: int) -> None:
    """A student joined (+1) or left (-1) a cohort: add or remove their figures there."""
    attributes = cohort_attributes([cohort_id]).get(cohort_id)
    if attributes is None:
        return
    changes_body, with_clause = _changes_select("WHERE student_id = %s")
    step = MasteryStep._meta.db_table
    targets = [
        (
            CohortMasteryChange,
            CHANGE_KEY,
            "%s, competence_id, framework_id",
            "competence_id, framework_id",
            [cohort_id],
        ),
        (
            InstitutionLevelChange,
            LEVEL_KEY,
            "%s, %s, %s, framework_id",
            "framework_id",
            [attributes[4], attributes[2], attributes[3]],
        ),
        (
            MasteryCube,
            CUBE_KEY,
            "%s, %s, %s, %s, competence_id, framework_id",
            "competence_id, framework_id",
            list(attributes[:4]),
        ),
        (
            RegionLevelChange,
            REGION_KEY,
            "%s, %s, %s, %s, framework_id",
            "framework_id",
            list(attributes[:4]),
        ),
        (
            CountryCompetenceChange,
            COUNTRY_KEY,
            "%s, %s, %s, competence_id, framework_id",
            "competence_id, framework_id",
            list(attributes[1:4]),
        ),
    ]
    with connection.cursor() as cursor:
        for model, key, select, group, params in targets:
            table = model._meta.db_table
            columns = {
                CohortMasteryChange: CHANGE_COLUMNS,
                InstitutionLevelChange: LEVEL_COLUMNS,
                MasteryCube: CUBE_COLUMNS,
                RegionLevelChange: REGION_COLUMNS,
                CountryCompetenceChange: COUNTRY_COLUMNS,
            }[model]
            cursor.execute(
                f"""{with_clause}
                INSERT INTO {table} ({", ".join(columns)})
                SELECT {select}, month, level, %s * SUM(change)
                FROM ({changes_body}) c WHERE true GROUP BY {group}, month, level
                HAVING SUM(change) <> 0
                ON CONFLICT ({", ".join(key)})
                DO UPDATE SET change = {table}.change + excluded.change""",  # noqa: S608
                [student_id, *params, sign],
            )
        enrolment = CohortEnrolment._meta.db_table
        cursor.execute(
            f"""INSERT INTO {enrolment} (cohort_id, students) VALUES (%s, %s)
            ON CONFLICT (cohort_id)
            DO UPDATE SET students = {enrolment}.students + excluded.students""",  # noqa: S608
            [cohort_id, sign],
        )
        activity = CohortMonthlyActivity._meta.db_table
        cursor.execute(
            f"""INSERT INTO {activity} (cohort_id, month, students)
            SELECT DISTINCT %s, month, %s FROM {step} WHERE student_id = %s
            ON CONFLICT (cohort_id, month)
            DO UPDATE SET students = {activity}.students + excluded.students""",  # noqa: S608
            [cohort_id, sign, student_id],
        )
        region_activity = RegionMonthlyActivity._meta.db_table
        cursor.execute(
            f"""INSERT INTO {region_activity} ({", ".join(REGION_ACTIVITY_KEY)}, students)
            SELECT DISTINCT %s, %s, %s, %s, month, %s FROM {step} WHERE student_id = %s
            ON CONFLICT ({", ".join(REGION_ACTIVITY_KEY)})
            DO UPDATE SET students = {region_activity}.students + excluded.students""",  # noqa: S608
            [*attributes[:4], sign, student_id],
        )
    CohortMasteryChange.objects.filter(cohort_id=cohort_id, change=0).delete()
    InstitutionLevelChange.objects.filter(institution_id=attributes[4], change=0).delete()
    MasteryCube.objects.filter(change=0).delete()
    RegionLevelChange.objects.filter(region_id=attributes[0], change=0).delete()
    CountryCompetenceChange.objects.filter(change=0).delete()
    CohortMonthlyActivity.objects.filter(cohort_id=cohort_id, students=0).delete()
    RegionMonthlyActivity.objects.filter(region_id=attributes[0], students=0).delete()


# ---------------------------------------------------------------------------------------
# From scratch: set-based SQL
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RebuildResult:
    rollups: int
    steps: int
    cohort_changes: int
    cohort_activity: int
    seconds: float


@transaction.atomic
def mastery_rebuild() -> RebuildResult:
    """Recompute every roll-up, step and cohort figure from the evidence, in a handful of
    INSERT ... SELECT statements (no row passes through Python)."""
    started = time.monotonic()
    evidence = CompetenceEvidence._meta.db_table
    competence = Competence._meta.db_table
    area = Competence._meta.get_field("area").related_model._meta.db_table
    rollup = MasteryRollup._meta.db_table
    step = MasteryStep._meta.db_table
    change_table = CohortMasteryChange._meta.db_table
    activity_table = CohortMonthlyActivity._meta.db_table
    membership = Membership._meta.db_table
    month_sql, month_params = _month_sql("e.recorded_at")
    joins = (
        f"FROM {evidence} e JOIN {competence} c ON c.id = e.competence_id "
        f"JOIN {area} a ON a.id = c.area_id"
    )
    with connection.cursor() as cursor:
        tables = (change_table, activity_table, step, rollup)
        if connection.vendor == "postgresql":
            # TRUNCATE (transactional in PostgreSQL) leaves no dead rows for the unique
            # indexes to step over while the same keys are inserted again
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            cursor.execute("SET LOCAL work_mem = '128MB'")  # hash aggregates in memory
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {rollup} (student_id, competence_id, framework_id, level,
                evidence_count, average_score, first_activity_at, last_activity_at)
            SELECT e.student_id, e.competence_id, a.framework_id,
                   MAX(CASE WHEN e.score >= %s THEN e.level ELSE 0 END), COUNT(*),
                   AVG(e.score), MIN(e.recorded_at), MAX(e.recorded_at)
            {joins} GROUP BY e.student_id, e.competence_id, a.framework_id""",
            [MASTERY_THRESHOLD],
        )
        cursor.execute(
            f"""INSERT INTO {step} (student_id, competence_id, framework_id, month, level)
            SELECT student_id, competence_id, framework_id, month,
                   MAX(month_level) OVER (PARTITION BY student_id, competence_id ORDER BY month
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            FROM (SELECT e.student_id, e.competence_id, a.framework_id, {month_sql} AS month,
                         MAX(CASE WHEN e.score >= %s THEN e.level ELSE 0 END) AS month_level
                  {joins} GROUP BY 1, 2, 3, 4) m""",  # noqa: S608
            [*month_params, MASTERY_THRESHOLD],
        )
        changes_body, with_clause = _changes_select()
        cursor.execute(
            f"""{with_clause}
            INSERT INTO {change_table} ({", ".join(CHANGE_COLUMNS)})
            SELECT m.cohort_id, c.competence_id, c.framework_id, c.month, c.level, SUM(c.change)
            FROM ({changes_body}) c
            JOIN {membership} m ON m.user_id = c.student_id AND m.role = %s
                               AND m.cohort_id IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5 HAVING SUM(c.change) <> 0
            ORDER BY 1, 2, 3, 4, 5""",  # noqa: S608 - in key order: a cohort's rows together
            [Role.STUDENT],
        )
        cursor.execute(
            f"""INSERT INTO {activity_table} (cohort_id, month, students)
            SELECT m.cohort_id, a.month, COUNT(*)
            FROM (SELECT DISTINCT student_id, month FROM {step}) a
            JOIN {membership} m ON m.user_id = a.student_id AND m.role = %s
                               AND m.cohort_id IS NOT NULL
            GROUP BY 1, 2""",  # noqa: S608
            [Role.STUDENT],
        )
    enrolment = CohortEnrolment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {enrolment}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {enrolment} (cohort_id, students)
            SELECT cohort_id, COUNT(*) FROM {membership}
            WHERE role = %s AND cohort_id IS NOT NULL GROUP BY cohort_id""",  # noqa: S608
            [Role.STUDENT],
        )
    mastery_cube_rederive()
    completion_refresh()
    return RebuildResult(
        rollups=MasteryRollup.objects.count(),
        steps=MasteryStep.objects.count(),
        cohort_changes=CohortMasteryChange.objects.count(),
        cohort_activity=CohortMonthlyActivity.objects.count(),
        seconds=time.monotonic() - started,
    )


@transaction.atomic
def mastery_cube_rederive() -> int:
    """Sum the cohort changes into the institution table and the cube again, the cube into
    its sums by region and by competence, and the cohorts' activity by region: after a
    rebuild, or when a cohort or an institution changed its track, year, kind or region.
    Rows are written in key order, so what a region's or an institution's report reads
    sits together on disk."""
    cube = MasteryCube._meta.db_table
    level_table = InstitutionLevelChange._meta.db_table
    region_table = RegionLevelChange._meta.db_table
    country_table = CountryCompetenceChange._meta.db_table
    region_activity = RegionMonthlyActivity._meta.db_table
    activity_table = CohortMonthlyActivity._meta.db_table
    change_table = CohortMasteryChange._meta.db_table
    cohort = Cohort._meta.db_table
    institution = Cohort._meta.get_field("institution").related_model._meta.db_table
    tables = (cube, level_table, region_table, country_table, region_activity)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            cursor.execute("SET LOCAL work_mem = '128MB'")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {level_table} ({", ".join(LEVEL_COLUMNS)})
            SELECT co.institution_id, co.track, co.academic_year, ch.framework_id, ch.month,
                   ch.level, SUM(ch.change)
            FROM {change_table} ch JOIN {cohort} co ON co.id = ch.cohort_id
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(ch.change) <> 0
            ORDER BY 1, 2, 3, 4, 5, 6"""  # noqa: S608
        )
        cursor.execute(
            f"""INSERT INTO {cube} ({", ".join(CUBE_COLUMNS)})
            SELECT i.region_id, i.kind, co.track, co.academic_year,
                   ch.competence_id, ch.framework_id, ch.month, ch.level, SUM(ch.change)
            FROM {change_table} ch
            JOIN {cohort} co ON co.id = ch.cohort_id
            JOIN {institution} i ON i.id = co.institution_id
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING SUM(ch.change) <> 0
            ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"""  # noqa: S608
        )
        cells = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {region_table} ({", ".join(REGION_COLUMNS)})
            SELECT region_id, kind, track, academic_year, framework_id, month, level,
                   SUM(change)
            FROM {cube} GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING SUM(change) <> 0"""  # noqa: S608
        )
        cursor.execute(
            f"""INSERT INTO {country_table} ({", ".join(COUNTRY_COLUMNS)})
            SELECT kind, track, academic_year, competence_id, framework_id, month, level,
                   SUM(change)
            FROM {cube} GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING SUM(change) <> 0"""  # noqa: S608
        )
        cursor.execute(
            f"""INSERT INTO {region_activity} ({", ".join(REGION_ACTIVITY_KEY)}, students)
            SELECT i.region_id, i.kind, co.track, co.academic_year, a.month, SUM(a.students)
            FROM {activity_table} a
            JOIN {cohort} co ON co.id = a.cohort_id
            JOIN {institution} i ON i.id = co.institution_id
            GROUP BY 1, 2, 3, 4, 5 HAVING SUM(a.students) <> 0"""  # noqa: S608
        )
        return cells


@transaction.atomic
def completion_refresh() -> int:
    """Count, per cohort and month, the students whose first completed course falls in that
    month (one INSERT ... SELECT). Reports read "completed by the end of the period" as the
    sum up to it."""
    from courses.models import CourseProgress

    table = CohortMonthlyCompletion._meta.db_table
    membership = Membership._meta.db_table
    progress = CourseProgress._meta.db_table
    month_sql, month_params = _month_sql("d.first_done")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {table} (cohort_id, month, students)
            SELECT m.cohort_id, {month_sql}, COUNT(*)
            FROM {membership} m
            JOIN (SELECT student_id, MIN(completed_at) AS first_done FROM {progress}
                  WHERE completed_at IS NOT NULL GROUP BY student_id) d
              ON d.student_id = m.user_id
            WHERE m.role = %s AND m.cohort_id IS NOT NULL
            GROUP BY 1, 2""",  # noqa: S608
            [*month_params, Role.STUDENT],
        )
        return cursor.rowcount


# ---------------------------------------------------------------------------------------
# Audit log and background builds
# ---------------------------------------------------------------------------------------
def report_access_record(*, user, channel: str, what: str, filters: dict) -> ReportAccessLog:
    return ReportAccessLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        channel=channel,
        what=what[:60],
        filters=filters,
    )


def report_build_request(*, user, fmt: str, filters) -> ReportBuild:
    """Queue a file build; the page polls ReportBuild.progress until it is done."""
    from .tasks import build_report_task

    build = ReportBuild.objects.create(requested_by=user, format=fmt, filters=filters.as_dict())
    report_access_record(
        user=user,
        channel=ReportAccessLog.Channel.FILE,
        what=f"{filters.scope}/{fmt}",
        filters=filters.as_dict(),
    )
    transaction.on_commit(lambda: build_report_task.delay(build.pk))
    return build


def report_build_run(*, build_id: int) -> ReportBuild | None:
    """Build the file of a queued build. Running it again on a finished build does nothing."""
    from . import exports, selectors

    build = ReportBuild.objects.filter(pk=build_id).first()
    if build is None or build.status in (ReportBuild.Status.DONE, ReportBuild.Status.FAILED):
        return build

    def progress(percent: int) -> None:
        ReportBuild.objects.filter(pk=build.pk).update(
            progress=percent, status=ReportBuild.Status.RUNNING
        )

    try:
        progress(5)
        filters = selectors.ReportFilters.from_dict(build.filters)
        report = selectors.report_build(filters, progress=lambda p: progress(5 + p * 70 // 100))
        progress(80)
        content = exports.render(report, build.format)
    except Exception as exc:
        logger.exception("report build %s failed", build.pk)
        ReportBuild.objects.filter(pk=build.pk).update(
            status=ReportBuild.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
    else:
        ReportBuild.objects.filter(pk=build.pk).update(
            status=ReportBuild.Status.DONE,
            progress=100,
            content=content,
            finished_at=timezone.now(),
        )
    build.refresh_from_db()
    return build


# ---------------------------------------------------------------------------------------
# Scheduled deliveries
# ---------------------------------------------------------------------------------------
SIGNATURE_HEADER = "X-Report-Signature"
DELIVERY_TIMEOUT_SECONDS = 10


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def monthly_deliveries_create(*, period: str) -> list[ReportDelivery]:
    """Build each active schedule's report for `period` once and one delivery per active
    endpoint. Running it again for the same period finds the deliveries already made."""
    from . import exports, selectors

    deliveries = []
    completion_refresh()  # the figures a ministry keeps must be exact, not minutes old
    for schedule in ReportSchedule.objects.filter(is_active=True).select_related(
        "framework", "region"
    ):
        endpoints = list(schedule.endpoints.filter(is_active=True))
        existing = {
            d.endpoint_id: d
            for d in ReportDelivery.objects.filter(schedule=schedule, period=period)
        }
        missing = [e for e in endpoints if e.pk not in existing]
        deliveries.extend(existing.values())
        if not missing:
            continue
        filters = selectors.ReportFilters.for_schedule(schedule, period=period)
        payload = exports.render(selectors.report_build(filters), "json")
        report_access_record(
            user=None,
            channel=ReportAccessLog.Channel.DELIVERY,
            what=f"{filters.scope}/json",
            filters=filters.as_dict(),
        )
        for endpoint in missing:
            deliveries.append(
                ReportDelivery.objects.create(
                    schedule=schedule, endpoint=endpoint, period=period, payload=payload
                )
            )
    return deliveries


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool  # the endpoint took it (now or before)
    retryable: bool  # worth trying again later


def delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """POST a delivery once and log the attempt. A delivered one is never sent again."""
    with transaction.atomic():
        delivery = (
            ReportDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return AttemptOutcome(delivered=False, retryable=False)
        if delivery.status == ReportDelivery.Status.DELIVERED:
            return AttemptOutcome(delivered=True, retryable=False)
        body = bytes(delivery.payload)
        request = urllib.request.Request(  # noqa: S310 - the URL is checked in MinistryEndpoint
            delivery.endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": str(delivery.idempotency_key),
                SIGNATURE_HEADER: signature(delivery.endpoint.secret, body),
                "User-Agent": "national-skills-platform/1",
            },
        )
        started = time.monotonic()
        http_status, error = None, ""
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=DELIVERY_TIMEOUT_SECONDS
            ) as response:
                http_status = response.status
        except urllib.error.HTTPError as exc:
            http_status, error = exc.code, f"HTTP {exc.code}: {exc.reason}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"{type(exc).__name__}: {reason}"
        ok = http_status is not None and 200 <= http_status < 300
        DeliveryAttempt.objects.create(
            delivery=delivery,
            ok=ok,
            http_status=http_status,
            error=error[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.attempts += 1
        if ok:
            delivery.status = ReportDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        delivery.save(update_fields=["attempts", "status", "delivered_at"])
    # 4xx other than timeout / rate limit: the request itself is wrong, retrying won't help
    retryable = not ok and (
        http_status is None or http_status >= 500 or http_status in (408, 409, 425, 429)
    )
    return AttemptOutcome(delivered=ok, retryable=retryable)


def delivery_fail(*, delivery_id: int) -> None:
    """Give up: mark the delivery failed where everyone looks, and tell staff."""
    delivery = ReportDelivery.objects.select_related("schedule", "endpoint").get(pk=delivery_id)
    if delivery.status == ReportDelivery.Status.DELIVERED:
        return
    delivery.status = ReportDelivery.Status.FAILED
    delivery.save(update_fields=["status"])
    last = delivery.attempt_log.order_by("-attempted_at", "-pk").first()
    reason = (last.error or f"HTTP {last.http_status}") if last else "no attempt"
    message = (
        f"Report delivery {delivery.pk} ({delivery.schedule} for {delivery.period}) to "
        f"{delivery.endpoint} failed after {delivery.attempts} attempt(s): {reason}. "
        "Resend it from the admin (Report deliveries) once the endpoint is back."
    )
    logger.error(message)
    mail_admins(f"Report delivery failed: {delivery.endpoint}", message, fail_silently=True)


def delivery_resend(*, delivery_id: int) -> ReportDelivery:
    """Send a delivery again by hand: same bytes, same idempotency key."""
    from .tasks import deliver_report_task

    delivery = ReportDelivery.objects.get(pk=delivery_id)
    if delivery.status == ReportDelivery.Status.FAILED:
        delivery.status = ReportDelivery.Status.PENDING
        delivery.save(update_fields=["status"])
    transaction.on_commit(lambda: deliver_report_task.delay(delivery.pk))
    return delivery


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def previous_month(today: date | None = None) -> str:
    today = today or timezone.localdate()
    first = today.replace(day=1)
    year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
    return f"{year:04d}-{month:02d}"
