"""PostgreSQL: the roll-ups rebuilt a range of students at a time, the ranges side by side.

The roll-ups table is partitioned by ranges of student (migration 0006). A rebuild writes
each range into a new table of its own, on a connection of its own, all reading the
evidence as the rebuild's transaction sees it (its exported snapshot); then, in the
rebuild's transaction, the old partitions are dropped and the new tables attached in their
place. An INSERT ... SELECT runs in one process in PostgreSQL: at 2,000,000 students the
16 million roll-ups took 55 s to compute and write, and 5 s more for their key, on one core.
Here each range computes, writes and keys its rows on a core of its own, and nothing is
written twice: an attached table is the partition, as it lies.

What others see does not change: the rebuild's transaction locks the roll-ups table before
it takes the snapshot, so a refresh reading or writing roll-ups waits for its commit, as it
waited for the TRUNCATE before; the new tables are partitions only once it commits (a
failed rebuild leaves the old ones, and the next rebuild drops what the failed one built).
Inside a caller's transaction (a test's, one that may have written rows other connections
would not see, or a savepoint, which cannot export a snapshot) the ranges are built one
after another on the rebuild's own connection, the same way."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from django.conf import settings
from django.db import connection, transaction

from evidence.models import CompetenceEvidence

from ..models import MasteryRollup

# SQL of "the evidence's (alias e) student is in the range" -> (the SELECT of the roll-ups
# of those students, its parameters)
RollupsSelect = Callable[[str], tuple[str, list]]

# Memory for one rebuild's sorts, hashes and index builds (PostgreSQL, its transactions
# only): a range's evidence sorted in memory rather than in runs on disk.
REBUILD_WORK_MEM = "1GB"
REBUILD_MAINTENANCE_WORK_MEM = "1GB"


def prefix() -> str:
    """The names of the roll-ups' partitions start with this (then a rebuild's token and
    the range's number)."""
    return f"{MasteryRollup._meta.db_table}_part_"


def rollups_rebuild(
    cursor,
    columns: list[str],
    select: RollupsSelect,
    *,
    side_by_side: bool,
    first: Callable[[int | None, int | None], object] = lambda low, high: None,
    meanwhile: Callable[[], object] = lambda: None,
    then: Callable[[object, str], object] = lambda cursor, name: None,
) -> tuple[int, int]:
    """Replace every roll-up by the rows (of `columns`) `select` gives, a range of
    students per partition, the ranges on connections of their own when `side_by_side`
    (the rebuild's transaction is its own, not a caller's: what the ranges read, the
    evidence, is committed). Returns how many rows, and how many steps in them.

    `first(low, high)`: work the rest reads, for each range of students (ids from `low` to
    below `high`, None: no bound): the students' record keys drawn. Side by side, each
    range's on a connection of its own, committed at once (what it wrote stays if the
    rebuild fails), before the roll-ups are locked: a transaction drawing a student's key
    as they join a cohort, then reading their roll-ups, is never left waiting on the
    rebuild while a range waits on it. `meanwhile` runs in the rebuild's transaction while
    the ranges are filled (work that does not read the roll-ups: the rebuild's own
    connection is otherwise idle then). `then(cursor, name)` runs in each range's
    transaction once its table `name` is filled (the range's sums, read by the rebuild's
    transaction after). When not side by side, all of them run in the rebuild's
    transaction: `first` over all students, `meanwhile`, then each range filled and
    `then`."""
    parent = MasteryRollup._meta.db_table
    # one rebuild at a time (the second waits for the first's commit), and what a failed
    # one built is dropped: tables of ours that are no partition
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [parent])
    # the rebuild's transaction sits idle while the ranges are filled: a server's limit on
    # idle transactions (set against forgotten ones) must not end it meanwhile
    cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
    for (name,) in _leftovers(cursor):
        cursor.execute(f"DROP TABLE {name}")
    token = secrets.token_hex(4)
    parts = [(f"{prefix()}{token}_{n}", low, high) for n, (low, high) in enumerate(_ranges(cursor))]
    if side_by_side and len(parts) > 1:
        with ThreadPoolExecutor(len(parts)) as pool:
            # made before the lock below (LIKE reads the roll-ups table's definition)
            list(pool.map(lambda part: _own_connection(_create, parent, *part), parts))
            list(pool.map(lambda part: _own_connection(lambda _c: first(*part[1:])), parts))
            cursor.execute(f"LOCK TABLE {parent} IN ACCESS EXCLUSIVE MODE")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            filling = [
                pool.submit(_own_connection, _fill, columns, select, snapshot, then, *part)
                for part in parts
            ]
            meanwhile()
            written = [each.result() for each in filling]
    else:
        cursor.execute(f"LOCK TABLE {parent} IN ACCESS EXCLUSIVE MODE")
        first(None, None)
        meanwhile()
        written = []
        for part in parts:
            _create(cursor, parent, *part)
            written.append(_fill(cursor, columns, select, None, then, *part))
    for old in partitions(cursor):
        cursor.execute(f"DROP TABLE {old}")
    for name, low, high in parts:
        bounds = f"FROM ({_bound(low, 'MINVALUE')}) TO ({_bound(high, 'MAXVALUE')})"
        # the range's CHECK spares the attachment a scan of the rows; it goes after
        cursor.execute(f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES {bounds}")
        cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_range")
    return sum(rows for rows, _ in written), sum(steps for _, steps in written)


def partitions(cursor) -> list[str]:
    """The names of the roll-ups' partitions (a student's roll-ups are all in one)."""
    cursor.execute(
        "SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass ORDER BY 1",
        [MasteryRollup._meta.db_table],
    )
    return [name for (name,) in cursor.fetchall()]


def _leftovers(cursor) -> list[tuple[str]]:
    cursor.execute(
        "SELECT oid::regclass::text FROM pg_class WHERE starts_with(relname, %s) "
        "AND relkind = 'r' AND NOT relispartition AND pg_table_is_visible(oid)",
        [prefix()],
    )
    return cursor.fetchall()


def _ranges(cursor) -> list[tuple[int | None, int | None]]:
    """settings.REPORTS_REBUILD_PARTS ranges of student ids, as even as the evidence's
    lowest and highest student allow; None: no bound (the first range from the lowest id
    there can be, the last to the highest)."""
    count = max(1, settings.REPORTS_REBUILD_PARTS)
    evidence = CompetenceEvidence._meta.db_table
    cursor.execute(f"SELECT MIN(student_id), MAX(student_id) FROM {evidence}")  # noqa: S608
    low, high = cursor.fetchone()
    if low is None or count == 1:
        return [(None, None)]
    cuts = sorted({low + (high - low + 1) * n // count for n in range(1, count)} - {low})
    return list(zip([None, *cuts], [*cuts, None], strict=True))


def _bound(value: int | None, open_end: str) -> str:
    return open_end if value is None else str(int(value))


def _range_sql(column: str, low: int | None, high: int | None) -> str:
    terms = [f"{column} >= {int(low)}"] if low is not None else []
    terms += [f"{column} < {int(high)}"] if high is not None else []
    return " AND ".join(terms) or "TRUE"


def _own_connection(work, *args):
    """Run `work(cursor, *args)` on this thread's own connection, closed after."""
    try:
        with connection.cursor() as cursor:
            return work(cursor, *args)
    finally:
        connection.close()


def _create(cursor, parent: str, name: str, low, high) -> None:
    """The range's table: the roll-ups' columns, NOT NULLs and checks, and the range."""
    cursor.execute(
        f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING STORAGE, CONSTRAINT {name}_range CHECK ({_range_sql('student_id', low, high)}))"
    )


def _fill(
    cursor,
    columns: list[str],
    select: RollupsSelect,
    snapshot: str | None,
    then: Callable[[object, str], object],
    name: str,
    low,
    high,
) -> tuple[int, int]:
    """Fill the range's table, build its key, then `then(cursor, name)`; with `snapshot`,
    in a transaction of its own that reads as the rebuild's does (committed here; attached
    by the rebuild).
    Returns how many rows, and how many steps in them (counted as they are written rather
    than in a scan of them all after)."""
    sql, params = select(_range_sql("e.student_id", low, high))
    key = ", ".join(f.column for f in MasteryRollup._meta.pk_fields)
    with transaction.atomic() if snapshot else nullcontext():
        if snapshot:
            if not re.fullmatch(r"[0-9A-F-]+", snapshot):
                raise ValueError(f"not a snapshot: {snapshot!r}")
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        cursor.execute(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM}'")
        insert = f"INSERT INTO {name} ({', '.join(columns)}) {sql}"
        cursor.execute(
            f"WITH written AS ({insert} RETURNING cardinality(step_months) AS steps) "  # noqa: S608
            "SELECT COUNT(*), COALESCE(SUM(steps), 0) FROM written",
            params,
        )
        written = cursor.fetchone()
        cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY ({key})")
        then(cursor, name)
    return written
