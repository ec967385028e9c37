"""The set-based path: every roll-up and figure recomputed from scratch in a handful of
INSERT ... SELECT statements (no row passes through Python), and the recounts that are
always set-based (the cube and its sums, course completions)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction

from courses.models import CourseProgress
from curricula.models import Competence
from evidence.models import CompetenceEvidence
from people.models import Cohort, Membership, Role

from ..caching import everything_changed, rollups_changed
from ..models import (
    MASTERY_THRESHOLD,
    CohortEnrolment,
    CohortMasteryChange,
    CohortMonthlyActivity,
    CohortMonthlyCompletion,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    MasteryRollup,
    MasteryStep,
    RecordKey,
    RegionLevelChange,
    RegionMonthlyActivity,
)
from .keys import record_keys_drop_orphans, record_keys_fill
from .tables import (
    CHANGE_COLUMNS,
    COUNTRY_COLUMNS,
    CUBE_COLUMNS,
    LEVEL_COLUMNS,
    REGION_ACTIVITY_KEY,
    REGION_COLUMNS,
    changes_select,
    month_sql,
)


@dataclass(frozen=True)
class RebuildResult:
    rollups: int  # MasteryRollup rows written
    steps: int  # MasteryStep rows written
    cohort_changes: int  # CohortMasteryChange rows written
    cohort_activity: int  # CohortMonthlyActivity rows written
    seconds: float  # how long it took


def _clear(cursor, tables) -> None:
    if connection.vendor == "postgresql":
        # TRUNCATE (transactional in PostgreSQL) leaves no dead rows for the unique
        # indexes to step over while the same keys are inserted again
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        cursor.execute("SET LOCAL work_mem = '128MB'")  # hash aggregates in memory
    else:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


@transaction.atomic
def mastery_rebuild() -> RebuildResult:
    """Recompute every roll-up, step and cohort figure from the evidence. Twice: the same
    rows (everything is cleared and recomputed)."""
    started = time.monotonic()
    evidence = CompetenceEvidence._meta.db_table
    competence = Competence._meta.db_table
    area = Competence._meta.get_field("area").related_model._meta.db_table
    rollup = MasteryRollup._meta.db_table
    step = MasteryStep._meta.db_table
    change_table = CohortMasteryChange._meta.db_table
    activity_table = CohortMonthlyActivity._meta.db_table
    membership = Membership._meta.db_table
    keys = RecordKey._meta.db_table
    month, month_params = month_sql("e.recorded_at")
    joins = (
        f"FROM {evidence} e JOIN {competence} c ON c.id = e.competence_id "
        f"JOIN {area} a ON a.id = c.area_id"
    )
    everything_changed()  # every cached report (reports/caching.py), now and after commit
    record_keys_drop_orphans()
    record_keys_fill()  # every student counted below has a key (existing keys stay)
    with connection.cursor() as cursor:
        _clear(cursor, (change_table, activity_table, step, rollup))
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
            FROM (SELECT e.student_id, e.competence_id, a.framework_id, {month} AS month,
                         MAX(CASE WHEN e.score >= %s THEN e.level ELSE 0 END) AS month_level
                  {joins} GROUP BY 1, 2, 3, 4) m""",  # noqa: S608
            [*month_params, MASTERY_THRESHOLD],
        )
        changes_body, with_clause = changes_select()
        cursor.execute(
            f"""{with_clause}
            INSERT INTO {change_table} ({", ".join(CHANGE_COLUMNS)})
            SELECT m.cohort_id, c.competence_id, c.framework_id, c.month, c.level, SUM(c.change),
                   SUM(c.key_change)
            FROM ({changes_body}) c
            JOIN {membership} m ON m.user_id = c.student_id AND m.role = %s
                               AND m.cohort_id IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5 HAVING SUM(c.change) <> 0 OR SUM(c.key_change) <> 0
            ORDER BY 1, 2, 3, 4, 5""",  # noqa: S608 - in key order: a cohort's rows together
            [Role.STUDENT],
        )
        cursor.execute(
            f"""INSERT INTO {activity_table} (cohort_id, month, students, key_sum)
            SELECT m.cohort_id, a.month, COUNT(*), SUM(COALESCE(r.value, 0))
            FROM (SELECT DISTINCT student_id, month FROM {step}) a
            JOIN {membership} m ON m.user_id = a.student_id AND m.role = %s
                               AND m.cohort_id IS NOT NULL
            LEFT JOIN {keys} r ON r.student_id = a.student_id
            GROUP BY 1, 2""",  # noqa: S608
            [Role.STUDENT],
        )
    enrolment = CohortEnrolment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {enrolment}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {enrolment} (cohort_id, students, key_sum)
            SELECT m.cohort_id, COUNT(*), SUM(COALESCE(r.value, 0)) FROM {membership} m
            LEFT JOIN {keys} r ON r.student_id = m.user_id
            WHERE m.role = %s AND m.cohort_id IS NOT NULL GROUP BY m.cohort_id""",  # noqa: S608
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
    sits together on disk. Twice: the same rows."""
    cube = MasteryCube._meta.db_table
    level_table = InstitutionLevelChange._meta.db_table
    region_table = RegionLevelChange._meta.db_table
    country_table = CountryCompetenceChange._meta.db_table
    region_activity = RegionMonthlyActivity._meta.db_table
    activity_table = CohortMonthlyActivity._meta.db_table
    change_table = CohortMasteryChange._meta.db_table
    cohort = Cohort._meta.db_table
    institution = Cohort._meta.get_field("institution").related_model._meta.db_table
    everything_changed()  # every cached report (reports/caching.py), now and after commit
    with connection.cursor() as cursor:
        _clear(cursor, (cube, level_table, region_table, country_table, region_activity))
        cursor.execute(
            f"""INSERT INTO {level_table} ({", ".join(LEVEL_COLUMNS)})
            SELECT co.institution_id, co.track, co.academic_year, ch.framework_id, ch.month,
                   ch.level, SUM(ch.change), SUM(ch.key_change)
            FROM {change_table} ch JOIN {cohort} co ON co.id = ch.cohort_id
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(ch.change) <> 0 OR SUM(ch.key_change) <> 0
            ORDER BY 1, 2, 3, 4, 5, 6"""  # noqa: S608
        )
        cursor.execute(
            f"""INSERT INTO {cube} ({", ".join(CUBE_COLUMNS)})
            SELECT i.region_id, i.kind, co.track, co.academic_year,
                   ch.competence_id, ch.framework_id, ch.month, ch.level, SUM(ch.change),
                   SUM(ch.key_change)
            FROM {change_table} ch
            JOIN {cohort} co ON co.id = ch.cohort_id
            JOIN {institution} i ON i.id = co.institution_id
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING SUM(ch.change) <> 0 OR SUM(ch.key_change) <> 0
            ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"""  # noqa: S608
        )
        cells = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {region_table} ({", ".join(REGION_COLUMNS)})
            SELECT region_id, kind, track, academic_year, framework_id, month, level,
                   SUM(change), SUM(key_change)
            FROM {cube} GROUP BY 1, 2, 3, 4, 5, 6, 7
            HAVING SUM(change) <> 0 OR SUM(key_change) <> 0"""  # noqa: S608
        )
        cursor.execute(
            f"""INSERT INTO {country_table} ({", ".join(COUNTRY_COLUMNS)})
            SELECT kind, track, academic_year, competence_id, framework_id, month, level,
                   SUM(change), SUM(key_change)
            FROM {cube} GROUP BY 1, 2, 3, 4, 5, 6, 7
            HAVING SUM(change) <> 0 OR SUM(key_change) <> 0"""  # noqa: S608
        )
        cursor.execute(
            f"""INSERT INTO {region_activity} ({", ".join(REGION_ACTIVITY_KEY)}, students,
                                              key_sum)
            SELECT i.region_id, i.kind, co.track, co.academic_year, a.month, SUM(a.students),
                   SUM(a.key_sum)
            FROM {activity_table} a
            JOIN {cohort} co ON co.id = a.cohort_id
            JOIN {institution} i ON i.id = co.institution_id
            GROUP BY 1, 2, 3, 4, 5 HAVING SUM(a.students) <> 0 OR SUM(a.key_sum) <> 0"""  # noqa: S608
        )
        return cells


@transaction.atomic
def completion_refresh() -> int:
    """Count, per cohort and month, the students whose first completed course falls in that
    month (one INSERT ... SELECT). Reports read "completed by the end of the period" as the
    sum up to it. Twice: the same counts. The reports of the cohorts whose counts moved
    are retired (reports/caching.py); a recount that moved nothing retires none."""
    table = CohortMonthlyCompletion._meta.db_table
    before = "reports_completion_before"  # this connection's own (TEMP), dropped below
    columns = "cohort_id, month, students, key_sum"
    membership = Membership._meta.db_table
    progress = CourseProgress._meta.db_table
    keys = RecordKey._meta.db_table
    month, month_params = month_sql("d.first_done")
    record_keys_fill()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {before}")
        cursor.execute(f"CREATE TEMP TABLE {before} AS SELECT {columns} FROM {table}")  # noqa: S608
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {table} (cohort_id, month, students, key_sum)
            SELECT m.cohort_id, {month}, COUNT(*), SUM(COALESCE(r.value, 0))
            FROM {membership} m
            JOIN (SELECT student_id, MIN(completed_at) AS first_done FROM {progress}
                  WHERE completed_at IS NOT NULL GROUP BY student_id) d
              ON d.student_id = m.user_id
            LEFT JOIN {keys} r ON r.student_id = m.user_id
            WHERE m.role = %s AND m.cohort_id IS NOT NULL
            GROUP BY 1, 2""",  # noqa: S608
            [*month_params, Role.STUDENT],
        )
        written = cursor.rowcount
        # the cohorts with a row gone, added or changed (both ways round)
        cursor.execute(
            f"""SELECT cohort_id FROM (SELECT {columns} FROM {before}
                                       EXCEPT SELECT {columns} FROM {table}) gone
            UNION
            SELECT cohort_id FROM (SELECT {columns} FROM {table}
                                   EXCEPT SELECT {columns} FROM {before}) came"""  # noqa: S608
        )
        moved = [cohort_id for (cohort_id,) in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {before}")
    rollups_changed(cohort_ids=moved)
    return written
