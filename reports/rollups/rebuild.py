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
    CohortMonthlyActivity,
    CohortMonthlyCompletion,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    MasteryRollup,
    RecordKey,
    RegionEnrolment,
    RegionLevelChange,
    RegionMonthlyActivity,
    RegionMonthlyCompletion,
)
from .keys import record_keys_drop_orphans, record_keys_fill
from .parts import (
    REBUILD_MAINTENANCE_WORK_MEM,
    REBUILD_WORK_MEM,
    partitions,
    rollups_rebuild,
)
from .tables import (
    COUNTRY_COLUMNS,
    CUBE_COLUMNS,
    LEVEL_COLUMNS,
    LEVEL_KEY,
    REGION_ACTIVITY_KEY,
    REGION_COLUMNS,
    REGION_KEY,
    month_sql,
    step_changes_sql,
    step_months_unnest,
)


@dataclass(frozen=True)
class RebuildResult:
    rollups: int  # MasteryRollup rows written
    steps: int  # steps in them (months with evidence per student and competence)
    cohort_activity: int  # CohortMonthlyActivity rows written
    cube: int  # MasteryCube rows written
    seconds: float  # how long it took


# what _rollups_select gives, in this order
ROLLUP_COLUMNS = [f.column for f in MasteryRollup._meta.local_concrete_fields]
ACTIVITY_COLUMNS = ["cohort_id", "month", "students", "key_sum"]
CUBE_GROUP = CUBE_COLUMNS[:-2]  # what the cube's rows are summed by (its key and framework)
# what mastery_cube_rederive refills
_CUBE_TABLES = [
    MasteryCube._meta.db_table,
    InstitutionLevelChange._meta.db_table,
    RegionLevelChange._meta.db_table,
    CountryCompetenceChange._meta.db_table,
    RegionMonthlyActivity._meta.db_table,
]


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
    yield
    for table, constraints, indexes in saved:
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(name)} {definition}")
        for _name, definition in indexes:
            cursor.execute(definition)


def _rollups_select(students: str = "TRUE") -> tuple[str, list]:
    """Every roll-up, steps included, from one window pass over the evidence sorted by
    student, competence and month: each piece of evidence gets the best passed level of
    its pair up to it (rows, not months: pieces of one month come in no set order) and
    whether it is its month's last; the month's last piece has seen the whole month, so
    its level is the level reached by the month's end. The pair's aggregate takes the
    month and level of each month's last piece (the steps, in month order), the count,
    score and first and last evidence of them all. `students`: SQL keeping the evidence
    (alias e) of some students only. Returns (the SELECT of ROLLUP_COLUMNS, its parameters).

    One window pass instead of a sum per month, a window over the months and the pair's
    aggregate: at 200,000 students 8.6 s instead of 11.6 s, the same rows (41 of 1.6
    million averages differ in their last binary digit: the scores summed in another
    order, as the incremental path's AVG does); at 2,000,000 113 s instead of 151."""
    evidence = CompetenceEvidence._meta.db_table
    month, month_params = month_sql("e.recorded_at")
    if connection.vendor == "postgresql":
        # in the order of the input, which is the months' (the aggregate reads its group in
        # the order the window hands the rows over; ORDER BY inside it would sort every
        # pair's few rows again: PostgreSQL 15 does not see they already are)
        months, levels = "array_agg(month)", "array_agg(level)"
    else:
        months, levels = "json_group_array(month)", "json_group_array(level)"
    last = "FILTER (WHERE last_of_month = 1)"
    return (
        f"""SELECT p.student_id, p.competence_id, f.framework_id, p.level, p.n, p.score_sum / p.n,
               p.first_at, p.last_at, p.months, p.levels
        FROM (SELECT student_id, competence_id, MAX(level) AS level,
                     CAST(COUNT(*) AS INTEGER) AS n, SUM(score) AS score_sum,
                     MIN(recorded_at) AS first_at, MAX(recorded_at) AS last_at,
                     {months} {last} AS months, {levels} {last} AS levels
              FROM (SELECT student_id, competence_id, month, score, recorded_at,
                           MAX(CASE WHEN score >= %s THEN level ELSE 0 END) OVER w AS level,
                           CASE WHEN LEAD(month) OVER w = month THEN 0 ELSE 1 END
                           AS last_of_month
                    FROM (SELECT e.student_id, e.competence_id, e.level, e.score,
                                 e.recorded_at, {month} AS month
                          FROM {evidence} e WHERE {students}) e
                    WINDOW w AS (PARTITION BY student_id, competence_id ORDER BY month
                                 ROWS UNBOUNDED PRECEDING)) x
              GROUP BY student_id, competence_id) p
        JOIN {_frameworks_sql()} f ON f.competence_id = p.competence_id""",  # noqa: S608
        [MASTERY_THRESHOLD, *month_params],
    )


def _activity_select(rollups: str) -> tuple[str, list]:
    """How many students of each cohort had evidence in each month (any competence), and
    the sum of their record keys, from the steps of the roll-ups in table `rollups`: rows
    (cohort_id, month, students, key_sum). Returns (SQL, its parameters).

    On PostgreSQL, with hash aggregation off (_local), each student's months are told
    apart in the order of the roll-ups' key, a student at a time: at 2,000,000 students
    21 s, against 81 s hashing 30 million (student, month) pairs at once. GROUP BY rather
    than DISTINCT: PostgreSQL 15 sorts the months of each student alone (an incremental
    sort over the key's order) for a GROUP BY only; for a DISTINCT it sorted all 15 million
    of a range's (student, month) pairs (a range alone: 9.4 s instead of 12.1)."""
    membership = Membership._meta.db_table
    keys = RecordKey._meta.db_table
    unnest, month = step_months_unnest("r")
    return (
        f"""SELECT m.cohort_id, a.month, COUNT(*) AS students,
                   SUM(COALESCE(k.value, 0)) AS key_sum
        FROM (SELECT r.student_id, {month} AS month FROM {rollups} r {unnest}
              GROUP BY 1, 2) a
        JOIN {membership} m ON m.user_id = a.student_id AND m.role = %s
                           AND m.cohort_id IS NOT NULL
        LEFT JOIN {keys} k ON k.student_id = a.student_id
        GROUP BY 1, 2""",  # noqa: S608
        [Role.STUDENT],
    )


def _insert_sorted(
    cursor, table: str, columns, select: str, params=(), *, order: int, staged: bool = False
) -> int:
    """INSERT INTO `table` (`columns`) the rows of the aggregate query `select`, in the
    order of its first `order` columns (an institution's or a region's rows together on
    disk); returns how many.

    `staged`: on PostgreSQL the query fills a work table first, in that order, with CREATE
    UNLOGGED TABLE ... AS, which may run on parallel workers (an INSERT ... SELECT never
    does); `table` (emptied) then copies the work table as it lies (written in that order
    by one process, nobody else reading it), without its indexes, built again after (the
    institution table's 1.9 million rows at 2,000,000 students: 2.6 s instead of 4.8)."""
    by = ", ".join(str(n) for n in range(1, order + 1))
    names = ", ".join(columns)
    if not (staged and connection.vendor == "postgresql"):
        cursor.execute(f"INSERT INTO {table} ({names}) {select} ORDER BY {by}", params)
        return cursor.rowcount
    work = f"{table}_staged"
    cursor.execute(f"DROP TABLE IF EXISTS {work}")
    cursor.execute(f"CREATE UNLOGGED TABLE {work} AS {select} ORDER BY {by}", params)
    with _indexes_dropped(cursor, [table]):
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


def mastery_rebuild() -> RebuildResult:
    """Recompute every roll-up, step and figure from the evidence. Twice: the same rows
    (everything is cleared and recomputed).

    The evidence is read once, into the roll-ups with their steps (`_rollups_select`);
    the cohorts' activity and everything summed per institution, region and country are
    derived from the steps. On PostgreSQL the roll-ups are written a range of students at a
    time, the ranges side by side on connections of their own, into new partitions put in
    place of the old ones (reports/rollups/parts.py), with the memory for sorts in RAM
    (these transactions only): outside a caller's transaction, which other connections do
    not see into. First the students' missing record keys are drawn, each range's on its
    connection (committed: they stay if the rebuild fails, as a student's first key
    would). While the ranges are filled the rebuild's own connection counts what reads no
    roll-up (the cohorts' students and completions); each range then sums its own
    students' steps (`_range_sums`), and the rebuild's transaction adds up the ranges'
    sums."""
    return _mastery_rebuild(time.monotonic(), side_by_side=not connection.in_atomic_block)


@transaction.atomic
def _mastery_rebuild(started: float, *, side_by_side: bool) -> RebuildResult:
    rollup = MasteryRollup._meta.db_table
    activity_table = CohortMonthlyActivity._meta.db_table
    everything_changed()  # every cached report (reports/caching.py), now and after commit
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'")
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM}'")
            rollups, steps = rollups_rebuild(
                cursor,
                ROLLUP_COLUMNS,
                _rollups_select,
                side_by_side=side_by_side,
                first=record_keys_fill,  # every student counted has a key
                # at 2,000,000 students 10 s on this connection, otherwise idle
                meanwhile=_counts_without_rollups,
                then=_range_sums,
            )
            ranges = partitions(cursor)
            # the planner's figures for the partitioned table as a whole, for the queries
            # that read the roll-ups after the rebuild (each range analysed its own table
            # for its sums; what follows here reads those sums, not the roll-ups)
            cursor.execute(f"ANALYZE {rollup}")
            activity, cube = _sums_of_ranges(cursor, ranges)
        else:
            record_keys_fill()
            _counts_without_rollups()
            _clear(cursor, [activity_table, rollup])
            select, params = _rollups_select()
            cursor.execute(f"INSERT INTO {rollup} ({', '.join(ROLLUP_COLUMNS)}) {select}", params)
            rollups = cursor.rowcount
            cursor.execute(
                f"SELECT COALESCE(SUM(json_array_length(step_months)), 0) FROM {rollup}"  # noqa: S608
            )
            (steps,) = cursor.fetchone()
            select, params = _activity_select(rollup)
            activity = _insert_sorted(
                cursor, activity_table, ACTIVITY_COLUMNS, select, params, order=2
            )
            cube = mastery_cube_rederive()
    return RebuildResult(
        rollups=rollups,
        steps=steps,
        cohort_activity=activity,
        cube=cube,
        seconds=time.monotonic() - started,
    )


def _counts_without_rollups() -> None:
    """What a rebuild counts without reading the roll-ups, once every student of a cohort
    has a record key: the cohorts' students and completions (the keys of deleted accounts
    forgotten first)."""
    membership = Membership._meta.db_table
    keys = RecordKey._meta.db_table
    enrolment = CohortEnrolment._meta.db_table
    record_keys_drop_orphans()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {enrolment}")  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {enrolment} (cohort_id, students, key_sum)
            SELECT m.cohort_id, COUNT(*), SUM(COALESCE(r.value, 0)) FROM {membership} m
            LEFT JOIN {keys} r ON r.student_id = m.user_id
            WHERE m.role = %s AND m.cohort_id IS NOT NULL GROUP BY m.cohort_id""",  # noqa: S608
            [Role.STUDENT],
        )
    completion_refresh(keys_drawn=True)


@contextmanager
def _local(cursor, **values: str):
    """PostgreSQL: settings for the statements inside, in this transaction only; as they
    were after (a failure rolls the transaction back, and the settings with it)."""
    saved = {}
    for name, value in values.items():
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
        saved[name] = cursor.fetchone()[0]
    yield
    for name, value in saved.items():
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _range_sums(cursor, rollups: str) -> None:
    """PostgreSQL: what the students of one range (their roll-ups: table `rollups`) add to
    the institution table and the cube, in one pass (GROUPING SETS: `cube` 0 for the
    institution table's rows, 1 for the cube's), and to the cohorts' activity: into
    tables `rollups`_changes and `rollups`_activity (unlogged: work tables, dropped by
    the rebuild once summed; a failed rebuild's are dropped by the next, as its ranges).
    A student's roll-ups are all in one range: the ranges' sums add up to the country's.

    In the range's transaction, beside the others (one core each, no parallel workers): at
    2,000,000 students the two ranges' sums took 31-36 s side by side, and adding them up
    and copying them in 12 s, against 53-54 s for the same sums over all the roll-ups on
    the rebuild's connection, copies included."""
    # the planner's figures for the rows just written: without them it expected 14 times
    # the groups there are and sorted instead of hashing (140 s instead of 20)
    cursor.execute(f"ANALYZE {rollups}")
    changes, params = _changes_sql(rollups)
    level = ", ".join(f"c.{column}" for column in LEVEL_KEY)
    cube = ", ".join(f"c.{column}" for column in CUBE_GROUP)
    every = list(dict.fromkeys([*LEVEL_KEY, *CUBE_GROUP]))
    with _local(
        cursor,
        work_mem=REBUILD_WORK_MEM,
        max_parallel_workers_per_gather="0",
    ):
        cursor.execute(
            f"""CREATE UNLOGGED TABLE {rollups}_changes AS
            SELECT GROUPING(c.institution_id) AS cube, {", ".join(f"c.{n}" for n in every)},
                   SUM(c.change) AS change, SUM(c.change * c.rk) AS key_change
            FROM ({changes}) c GROUP BY GROUPING SETS (({level}), ({cube}))
            HAVING SUM(c.change) <> 0 OR SUM(c.change * c.rk) <> 0""",  # noqa: S608
            params,
        )
        select, params = _activity_select(rollups)
        with _local(cursor, enable_hashagg="off"):
            cursor.execute(f"CREATE UNLOGGED TABLE {rollups}_activity AS {select}", params)


def _sums_of_ranges(cursor, ranges: list[str]) -> tuple[int, int]:
    """PostgreSQL: the ranges' sums (`_range_sums`) added up into the cohorts' activity,
    the institution table and the cube, and the cube summed on; the ranges' sums dropped
    after. Returns how many rows of activity and of cube."""
    activity_table = CohortMonthlyActivity._meta.db_table

    def every(suffix: str, where: str = "") -> str:
        return " UNION ALL ".join(f"SELECT * FROM {r}_{suffix}{where}" for r in ranges)  # noqa: S608

    _clear(cursor, [activity_table, *_CUBE_TABLES])
    activity = _insert_sorted(
        cursor,
        activity_table,
        ACTIVITY_COLUMNS,
        f"""SELECT a.cohort_id, a.month, SUM(a.students) AS students,
               SUM(a.key_sum) AS key_sum
        FROM ({every("activity")}) a GROUP BY 1, 2""",  # noqa: S608
        order=2,
        staged=True,
    )
    cells = _cube_fill(
        cursor,
        f"({every('changes', ' WHERE cube = 0')})",
        f"({every('changes', ' WHERE cube = 1')})",
        "c.key_change",
    )
    cursor.execute(f"DROP TABLE {', '.join(f'{r}_changes, {r}_activity' for r in ranges)}")
    cursor.execute(f"ANALYZE {activity_table}")
    _cube_sums(cursor)
    return activity, cells


def _changes_sql(rollups: str = "") -> tuple[str, list]:
    """Every change of every student (the steps of the roll-ups in `rollups`, by default
    all), once per cohort of theirs, with where the cohort sums to and the student's record
    key `rk` (a student in two cohorts counts in both). Returns (SQL, its parameters)."""
    cohort = Cohort._meta.db_table
    institution = Cohort._meta.get_field("institution").related_model._meta.db_table
    membership = Membership._meta.db_table
    keys = RecordKey._meta.db_table
    return step_changes_sql(
        columns="co.institution_id, i.region_id, i.kind, co.track, co.academic_year, "
        "COALESCE(k.value, 0) AS rk,",
        joins=f"""JOIN {membership} m ON m.user_id = r.student_id AND m.role = %s
                                      AND m.cohort_id IS NOT NULL
                 JOIN {cohort} co ON co.id = m.cohort_id
                 JOIN {institution} i ON i.id = co.institution_id
                 LEFT JOIN {keys} k ON k.student_id = r.student_id""",
        params=[Role.STUDENT],
        rollups=rollups,
    )


def _cube_fill(cursor, level_changes: str, cube_changes: str, key_change: str, params=()) -> int:
    """The institution table and the cube (emptied) filled with the sums of the changes in
    `level_changes` and `cube_changes` (SQL of rows with the tables' keys, `change`, and
    `key_change`, the SQL of the record keys' change over alias c), in key order, so what a
    region's or an institution's report reads sits together on disk; `params`: those of
    each. Returns how many cube rows."""

    level_table = InstitutionLevelChange._meta.db_table
    cube = MasteryCube._meta.db_table
    _insert_sorted(
        cursor,
        level_table,
        LEVEL_COLUMNS,
        _summed(LEVEL_KEY, level_changes, key_change),
        params,
        order=6,
        staged=True,
    )
    return _insert_sorted(
        cursor,
        cube,
        CUBE_COLUMNS,
        _summed(CUBE_GROUP, cube_changes, key_change),
        params,
        order=8,
        staged=True,
    )


def _summed(key: list[str], changes: str, key_change: str) -> str:
    """SQL: the rows of `changes` (alias c: a table's `key`, `change`, and what `key_change`
    gives, the record keys' change) summed by `key`, those that sum to nothing left out."""
    columns = ", ".join(f"c.{column}" for column in key)
    by = ", ".join(str(n) for n in range(1, len(key) + 1))
    return f"""SELECT {columns}, SUM(c.change) AS change, SUM({key_change}) AS key_change
    FROM {changes} c GROUP BY {by}
    HAVING SUM(c.change) <> 0 OR SUM({key_change}) <> 0"""  # noqa: S608


def _cube_sums(cursor) -> None:
    """The cube summed by region and by competence, the cohorts' activity by region, and
    the region sums of the cohorts' students and completions (all emptied first)."""
    cube = MasteryCube._meta.db_table
    region_table = RegionLevelChange._meta.db_table
    country_table = CountryCompetenceChange._meta.db_table
    region_activity = RegionMonthlyActivity._meta.db_table
    activity_table = CohortMonthlyActivity._meta.db_table
    cohort = Cohort._meta.db_table
    institution = Cohort._meta.get_field("institution").related_model._meta.db_table
    for table, columns in ((region_table, REGION_COLUMNS), (country_table, COUNTRY_COLUMNS)):
        sums = _summed(columns[:-2], cube, "c.key_change")
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) {sums}")
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
    _region_sums(cursor, RegionEnrolment, CohortEnrolment._meta.db_table, month=False)
    _region_sums(
        cursor, RegionMonthlyCompletion, CohortMonthlyCompletion._meta.db_table, month=True
    )


@transaction.atomic
def mastery_cube_rederive() -> int:
    """Sum the students' level changes (their roll-ups' steps) into the institution table
    and the cube again, the cube into its sums by region and by competence, and the
    cohorts' activity by region: after a rebuild, or when a cohort or an institution
    changed its track, year, kind or region. Twice: the same rows. Returns how many cube
    rows."""
    everything_changed()  # every cached report (reports/caching.py), now and after commit
    changes, params = _changes_sql()
    with connection.cursor() as cursor:
        _clear(cursor, _CUBE_TABLES)
        cells = _cube_fill(cursor, f"({changes})", f"({changes})", "c.change * c.rk", params)
        _cube_sums(cursor)
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


def _region_completion_rederive() -> None:
    with connection.cursor() as cursor:
        _region_sums(
            cursor, RegionMonthlyCompletion, CohortMonthlyCompletion._meta.db_table, month=True
        )


@transaction.atomic
def completion_refresh(*, keys_drawn: bool = False) -> int:
    """Count, per cohort and month, the students whose first completed course falls in that
    month (one INSERT ... SELECT). Reports read "completed by the end of the period" as the
    sum up to it. Twice: the same counts. The reports of the cohorts whose counts moved
    are retired (reports/caching.py); a recount that moved nothing retires none.
    `keys_drawn`: this transaction has just drawn the missing record keys (a rebuild: at
    2,000,000 students looking for none missing again takes 1.5 s)."""
    table = CohortMonthlyCompletion._meta.db_table
    before = "reports_completion_before"  # this connection's own (TEMP), dropped below
    columns = "cohort_id, month, students, key_sum"
    membership = Membership._meta.db_table
    progress = CourseProgress._meta.db_table
    keys = RecordKey._meta.db_table
    month, month_params = month_sql("d.first_done")
    if not keys_drawn:
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
