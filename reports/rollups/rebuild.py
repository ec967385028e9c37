"""The set-based path: every roll-up and figure recomputed from scratch in a handful of
INSERT ... SELECT statements (no row passes through Python), and the recounts that are
always set-based (the cube and its sums, course completions)."""

from __future__ import annotations

import time
from contextlib import contextmanager
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
    RegionEnrolment,
    RegionLevelChange,
    RegionMonthlyActivity,
    RegionMonthlyCompletion,
)
from .keys import record_keys_drop_orphans, record_keys_fill
from .tables import (
    CHANGE_COLUMNS,
    COUNTRY_COLUMNS,
    CUBE_COLUMNS,
    LEVEL_COLUMNS,
    REGION_ACTIVITY_KEY,
    REGION_COLUMNS,
    REGION_KEY,
    month_sql,
)


@dataclass(frozen=True)
class RebuildResult:
    rollups: int  # MasteryRollup rows written
    steps: int  # MasteryStep rows written
    cohort_changes: int  # CohortMasteryChange rows written
    cohort_activity: int  # CohortMonthlyActivity rows written
    seconds: float  # how long it took


# The work table of a rebuild: the evidence summed once per student, competence and month,
# with the level reached by then and the pair's running totals. Everything else is derived
# from it. Created and dropped inside the rebuild's transaction (never seen by anyone else).
# UNLOGGED on PostgreSQL: no write-ahead log, and parallel workers may read it (a TEMP table
# they may not).
MONTHS = "reports_rebuild_months"
# Memory for one rebuild's sorts, hashes and index builds (PostgreSQL, this transaction only):
# 32 million evidence rows sorted in memory rather than in runs on disk.
REBUILD_WORK_MEM = "1GB"
REBUILD_MAINTENANCE_WORK_MEM = "1GB"


def _clear(cursor, tables) -> None:
    if connection.vendor == "postgresql":
        # TRUNCATE (transactional in PostgreSQL) leaves no dead rows for the unique
        # indexes to step over while the same keys are inserted again
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        # hash aggregates in memory; a rebuild's larger setting stays (at 2,000,000
        # students the institution table's query took 67.6 s at 128MB, sorts spilling to
        # disk, and 30.4 s at 1GB in one hash: EXPLAIN ANALYZE)
        cursor.execute(
            "SELECT set_config('work_mem', '128MB', true) WHERE pg_size_bytes("
            "current_setting('work_mem')) < pg_size_bytes('128MB')"
        )
    else:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


@contextmanager
def _indexes_dropped(cursor, tables):
    """PostgreSQL: drop the indexes of `tables` (emptied) while they are refilled, and
    build them again afterwards, each in one sorted (parallel) pass: faster than millions
    of single insertions. Primary keys and unique constraints come back under their names,
    with the same definitions; one that another table's foreign key needs stays. Inside
    the caller's transaction: a failure rolls everything back, the indexes with it."""
    if connection.vendor != "postgresql":
        yield
        return
    qn = connection.ops.quote_name
    saved = []
    for table in tables:
        cursor.execute(
            """SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = %s::regclass AND c.contype IN ('p', 'u')
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                              WHERE f.contype = 'f' AND f.conindid = c.conindid)""",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        saved.append((table, constraints, indexes))
    # each row's id from its sequence 10,000 at a time, not one nextval() lock each
    # (the tables keyed by their columns have no id)
    caches = {}
    for table in tables:
        cursor.execute(
            "SELECT s.seqcache FROM pg_attribute a JOIN pg_sequence s "
            "ON s.seqrelid = pg_get_serial_sequence(%s, a.attname)::regclass "
            "WHERE a.attrelid = %s::regclass AND a.attname = 'id' AND NOT a.attisdropped",
            [table, table],
        )
        for (cache,) in cursor.fetchall():
            caches[table] = cache
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET CACHE 10000")
    yield
    for table, cache in caches.items():
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id SET CACHE {int(cache)}")
    for table, constraints, indexes in saved:
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
        for _name, definition in indexes:
            cursor.execute(definition)


def _months_create(cursor) -> None:
    """The work table (MONTHS), from one pass over the evidence sorted by student,
    competence and month: per (student, competence, month) the level reached by the end of
    the month (`level`: the steps), the level before it (`prev`: the changes), the pair's
    running count, score sum, first and last evidence (their last row, `last`: the
    roll-up), and whether it is the student's first row of that month (`first_of_month`:
    the activity). The competences' frameworks are joined by whoever reads it (a few dozen
    rows, hashed once): a join here would cost the sort its order."""
    evidence = CompetenceEvidence._meta.db_table
    month, month_params = month_sql("e.recorded_at")
    # One window, over the pair's earlier months only: the level before this month is
    # their best (`prev`), the level by its end the better of that and this month's; the
    # running totals are the earlier months' plus this one's (a month's first evidence
    # comes after every earlier month's, and its last after theirs). One window pass over
    # the pairs instead of two (the work table at 200,000 students: 11.2 s -> 8.6 s, the
    # same rows).
    earlier = (
        "(PARTITION BY student_id, competence_id ORDER BY month "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    cursor.execute(
        f"""{_work_table(MONTHS)}
        SELECT student_id, competence_id, month,
               CASE WHEN prev > month_level THEN prev ELSE month_level END AS level, prev,
               n, score_sum, first_at, last_at, last,
               CASE WHEN ROW_NUMBER() OVER (PARTITION BY student_id, month
                                            ORDER BY competence_id) = 1
                    THEN 1 ELSE 0 END AS first_of_month
        FROM (SELECT student_id, competence_id, month, month_level,
                     MAX(month_level) OVER earlier AS prev,
                     n + COALESCE(SUM(n) OVER earlier, 0) AS n,
                     score_sum + COALESCE(SUM(score_sum) OVER earlier, 0) AS score_sum,
                     COALESCE(MIN(first_at) OVER earlier, first_at) AS first_at, last_at,
                     CASE WHEN LEAD(month) OVER earlier IS NULL THEN 1 ELSE 0 END AS last
              FROM (SELECT e.student_id, e.competence_id, {month} AS month,
                           MAX(CASE WHEN e.score >= %s THEN e.level ELSE 0 END) AS month_level,
                           CAST(COUNT(*) AS INTEGER) AS n, SUM(e.score) AS score_sum,
                           MIN(e.recorded_at) AS first_at, MAX(e.recorded_at) AS last_at
                    FROM {evidence} e GROUP BY 1, 2, 3) m
              WINDOW earlier AS {earlier}) w""",  # noqa: S608
        [*month_params, MASTERY_THRESHOLD],
    )


def _work_table(name: str) -> str:
    """CREATE ... TABLE `name` AS: UNLOGGED on PostgreSQL (no write-ahead log, and parallel
    workers may fill it: a TEMP table they may not), TEMP elsewhere."""
    if connection.vendor == "postgresql":
        return f"CREATE UNLOGGED TABLE {name} AS"
    return f"CREATE TEMP TABLE {name} AS"


def _insert_sorted(
    cursor, table: str, columns, select: str, params=(), *, order: int, staged: bool = False
) -> int:
    """INSERT INTO `table` (`columns`) the rows of the aggregate query `select`, in the
    order of its first `order` columns (a cohort's, an institution's or a region's rows
    together on disk); returns how many.

    `staged`: on PostgreSQL the query fills a work table first, in that order, with CREATE
    TABLE ... AS, which may run on parallel workers (an INSERT ... SELECT never does); the
    table then copies the work table as it lies (written in that order by one process,
    nobody else reading it)."""
    by = ", ".join(str(n) for n in range(1, order + 1))
    names = ", ".join(columns)
    if not (staged and connection.vendor == "postgresql"):
        cursor.execute(f"INSERT INTO {table} ({names}) {select} ORDER BY {by}", params)
        return cursor.rowcount
    work = f"{table}_staged"
    cursor.execute(f"DROP TABLE IF EXISTS {work}")
    cursor.execute(f"{_work_table(work)} {select} ORDER BY {by}", params)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM {work}")  # noqa: S608
    written = cursor.rowcount
    cursor.execute(f"DROP TABLE {work}")
    return written


def _frameworks_sql() -> str:
    """(competence_id, framework_id) of every competence: a few dozen rows to join."""
    competence = Competence._meta.db_table
    area = Competence._meta.get_field("area").related_model._meta.db_table
    return (
        f"(SELECT c.id AS competence_id, a.framework_id FROM {competence} c "  # noqa: S608
        f"JOIN {area} a ON a.id = c.area_id)"
    )


@transaction.atomic
def mastery_rebuild() -> RebuildResult:
    """Recompute every roll-up, step and cohort figure from the evidence. Twice: the same
    rows (everything is cleared and recomputed).

    The evidence is read once, into a work table per student, competence and month
    (`_months_create`); the roll-ups, the steps, the cohorts' changes and activity are
    each one INSERT ... SELECT from it. On PostgreSQL the big tables are refilled without
    their indexes, which are built again at the end (`_indexes_dropped`), with the memory
    for sorts in RAM (this transaction only) and parallel workers where PostgreSQL allows
    them (the work table's CREATE TABLE ... AS)."""
    started = time.monotonic()
    rollup = MasteryRollup._meta.db_table
    step = MasteryStep._meta.db_table
    change_table = CohortMasteryChange._meta.db_table
    activity_table = CohortMonthlyActivity._meta.db_table
    membership = Membership._meta.db_table
    keys = RecordKey._meta.db_table
    frameworks = _frameworks_sql()
    everything_changed()  # every cached report (reports/caching.py), now and after commit
    record_keys_drop_orphans()
    record_keys_fill()  # every student counted below has a key (existing keys stay)
    big = (change_table, activity_table, step, rollup)
    with connection.cursor() as cursor:
        _clear(cursor, big)
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'")
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM}'")
        cursor.execute(f"DROP TABLE IF EXISTS {MONTHS}")
        _months_create(cursor)
        with _indexes_dropped(cursor, big):
            cursor.execute(
                f"""INSERT INTO {rollup} (student_id, competence_id, framework_id, level,
                    evidence_count, average_score, first_activity_at, last_activity_at)
                SELECT w.student_id, w.competence_id, f.framework_id, w.level, w.n,
                       w.score_sum / w.n, w.first_at, w.last_at
                FROM {MONTHS} w JOIN {frameworks} f ON f.competence_id = w.competence_id
                WHERE w.last = 1"""  # noqa: S608
            )
            rollups = cursor.rowcount
            cursor.execute(
                f"""INSERT INTO {step} (student_id, competence_id, framework_id, month, level)
                SELECT w.student_id, w.competence_id, f.framework_id, w.month, w.level
                FROM {MONTHS} w JOIN {frameworks} f ON f.competence_id = w.competence_id"""  # noqa: S608
            )
            steps = cursor.rowcount
            # every step as +1 into its level and -1 out of the one before, with the
            # student's record key signed alike, summed per cohort (the set-based twin of
            # steps.changes_from); staged: aggregated on parallel workers (at 2,000,000
            # students 40 s, then 26 s to copy, against 76 s in one INSERT ... SELECT)
            changes = _insert_sorted(
                cursor,
                change_table,
                CHANGE_COLUMNS,
                f"""SELECT m.cohort_id, c.competence_id, f.framework_id, c.month, c.level,
                           SUM(c.change) AS change,
                           SUM(c.change * COALESCE(r.value, 0)) AS key_change
                FROM (SELECT student_id, competence_id, month, level, 1 AS change
                      FROM {MONTHS} WHERE prev IS NULL OR prev <> level
                      UNION ALL
                      SELECT student_id, competence_id, month, prev, -1
                      FROM {MONTHS} WHERE prev IS NOT NULL AND prev <> level) c
                JOIN {frameworks} f ON f.competence_id = c.competence_id
                JOIN {membership} m ON m.user_id = c.student_id AND m.role = %s
                                   AND m.cohort_id IS NOT NULL
                LEFT JOIN {keys} r ON r.student_id = c.student_id
                GROUP BY 1, 2, 3, 4, 5
                HAVING SUM(c.change) <> 0 OR SUM(c.change * COALESCE(r.value, 0)) <> 0""",  # noqa: S608
                [Role.STUDENT],
                order=5,
                staged=True,
            )
            cursor.execute(
                f"""INSERT INTO {activity_table} (cohort_id, month, students, key_sum)
                SELECT m.cohort_id, a.month, COUNT(*), SUM(COALESCE(r.value, 0))
                FROM {MONTHS} a
                JOIN {membership} m ON m.user_id = a.student_id AND m.role = %s
                                   AND m.cohort_id IS NOT NULL
                LEFT JOIN {keys} r ON r.student_id = a.student_id
                WHERE a.first_of_month = 1
                GROUP BY 1, 2""",  # noqa: S608
                [Role.STUDENT],
            )
            activity = cursor.rowcount
        cursor.execute(f"DROP TABLE {MONTHS}")
        if connection.vendor == "postgresql":
            # the planner's figures for the tables just refilled (report queries join them)
            cursor.execute(f"ANALYZE {', '.join(big)}")
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
        rollups=rollups,
        steps=steps,
        cohort_changes=changes,
        cohort_activity=activity,
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
        _insert_sorted(
            cursor,
            level_table,
            LEVEL_COLUMNS,
            f"""SELECT co.institution_id, co.track, co.academic_year, ch.framework_id,
                       ch.month, ch.level, SUM(ch.change) AS change,
                       SUM(ch.key_change) AS key_change
            FROM {change_table} ch JOIN {cohort} co ON co.id = ch.cohort_id
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(ch.change) <> 0 OR SUM(ch.key_change) <> 0""",  # noqa: S608
            order=6,
        )
        cells = _insert_sorted(
            cursor,
            cube,
            CUBE_COLUMNS,
            f"""SELECT i.region_id, i.kind, co.track, co.academic_year,
                       ch.competence_id, ch.framework_id, ch.month, ch.level,
                       SUM(ch.change) AS change, SUM(ch.key_change) AS key_change
            FROM {change_table} ch
            JOIN {cohort} co ON co.id = ch.cohort_id
            JOIN {institution} i ON i.id = co.institution_id
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
            HAVING SUM(ch.change) <> 0 OR SUM(ch.key_change) <> 0""",  # noqa: S608
            order=8,
        )
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
    _region_enrolment_rederive()
    _region_completion_rederive()
    return cells


def _region_sums(cursor, target, cohort_table: str, month: bool) -> None:
    """`target` (RegionEnrolment, RegionMonthlyCompletion) refilled from `cohort_table`
    (its per-cohort twin) summed by the cohort's region, institution kind, track, year
    (and month)."""
    table = target._meta.db_table
    cohort = Cohort._meta.db_table
    institution = Cohort._meta.get_field("institution").related_model._meta.db_table
    keys = ", ".join([*REGION_KEY[:4], *(["month"] if month else [])])
    by = ", ".join(str(n) for n in range(1, 5 + month))
    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a few thousand rows
    cursor.execute(
        f"""INSERT INTO {table} ({keys}, students, key_sum)
        SELECT i.region_id, i.kind, co.track, co.academic_year{", x.month" if month else ""},
               SUM(x.students), SUM(x.key_sum)
        FROM {cohort_table} x
        JOIN {cohort} co ON co.id = x.cohort_id
        JOIN {institution} i ON i.id = co.institution_id
        GROUP BY {by} HAVING SUM(x.students) <> 0 OR SUM(x.key_sum) <> 0"""  # noqa: S608
    )


def _region_enrolment_rederive() -> None:
    with connection.cursor() as cursor:
        _region_sums(cursor, RegionEnrolment, CohortEnrolment._meta.db_table, month=False)


def _region_completion_rederive() -> None:
    with connection.cursor() as cursor:
        _region_sums(
            cursor, RegionMonthlyCompletion, CohortMonthlyCompletion._meta.db_table, month=True
        )


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
    if moved:
        _region_completion_rederive()
    rollups_changed(cohort_ids=moved)
    return written
