"""PostgreSQL: a rebuild writes the roll-ups a range of students at a time, the ranges side
by side on connections of their own, into new partitions put in place of the old ones
(reports/rollups/parts.py). The figures are those of one pass; a failure leaves the old
roll-ups; what a failed rebuild built is cleared by the next."""

from __future__ import annotations

import random
import re
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DataError

from reports.models import MasteryRollup, RecordKey
from reports.rollups import mastery_rebuild, parts, rebuild

from .conftest import another_waits_on_a_lock, cohort_with_students, months_ago, school
from .test_rollup import snapshot

# Real commits: the ranges are read on other connections; the migrations' data restored after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROLLUP = MasteryRollup._meta.db_table


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("partitions and exported snapshots: PostgreSQL")


def partitions() -> list[tuple[str, str, list[str]]]:
    """(name, range, constraints) of each partition of the roll-ups, in range order."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid),
                      ARRAY(SELECT x.contype::text || ' ' || pg_get_constraintdef(x.oid)
                            FROM pg_constraint x WHERE x.conrelid = c.oid ORDER BY 1)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass""",
            [ROLLUP],
        )
        rows = cursor.fetchall()

    def lowest(row) -> int:
        low = re.search(r"FROM \('?(\w+)'?\)", row[1]).group(1)
        return -(2**63) if low == "MINVALUE" else int(low)

    return sorted(rows, key=lowest)


def leftovers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE starts_with(relname, %s) AND NOT relispartition "
            "AND relkind = 'r'",
            [parts.prefix()],
        )
        return [name for (name,) in cursor.fetchall()]


def parent_constraints() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY 1",
            [ROLLUP],
        )
        return [c for (c,) in cursor.fetchall()]


def country(record, competences, region, students: int = 12) -> None:
    rng = random.Random(11)
    _cohort, people = cohort_with_students(school(region), students)
    for _ in range(5 * students):
        record(
            rng.choice(people),
            rng.choice(competences[:5]),
            level=rng.randint(1, 6),
            score=rng.choice([0.0, 0.5, 1.0]),
            when=months_ago(rng.randint(0, 8), day=rng.randint(1, 27)),
        )


@pytest.fixture
def fill_threads(monkeypatch) -> list[int]:
    """The threads the ranges are filled on, one entry per range, as the rebuild runs."""
    threads = []
    fill = parts._fill

    def spied(*args):
        threads.append(threading.get_ident())
        return fill(*args)

    monkeypatch.setattr(parts, "_fill", spied)
    return threads


def rebuild_mastery() -> None:
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_ranges_rebuilt_side_by_side_give_the_figures_of_one_pass(
    record, competences, region, settings, fill_threads
):
    settings.REPORTS_REBUILD_PARTS = 3
    country(record, competences, region)
    incremental = snapshot()
    rebuild_mastery()
    assert snapshot() == incremental
    # three ranges, each filled on a connection of its own, none on the rebuild's thread
    assert len(set(fill_threads)) == 3 and threading.get_ident() not in fill_threads
    built = partitions()
    assert len(built) == 3
    # the ranges follow each other, from the lowest id there can be to the highest
    bounds = [
        re.fullmatch(r"FOR VALUES FROM \('?(\w+)'?\) TO \('?(\w+)'?\)", b).groups()
        for _n, b, _c in built
    ]
    assert bounds[0][0] == "MINVALUE" and bounds[-1][1] == "MAXVALUE"
    assert all(bounds[n][1] == bounds[n + 1][0] for n in range(2))
    # each partition as the table says (its checks and its part of the key), the range's
    # own check dropped once attached, and every range holding some of the students
    for _name, _bound, constraints in built:
        assert constraints == parent_constraints()
    with connection.cursor() as cursor:
        for name, _bound, _c in built:
            cursor.execute(f"SELECT COUNT(DISTINCT student_id) FROM {name}")  # noqa: S608
            assert cursor.fetchone()[0] > 0
    assert leftovers() == []
    # again: the same figures, new partitions in place of these; the rows and steps it
    # says it wrote (counted by the ranges as they wrote them) are those in the table
    result = mastery_rebuild()
    assert snapshot() == incremental
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(cardinality(step_months)) FROM {ROLLUP}")  # noqa: S608
        assert (result.rollups, result.steps) == cursor.fetchone()
    assert result.steps > result.rollups > 0
    assert {name for name, _b, _c in partitions()}.isdisjoint(name for name, _b, _c in built)
    assert leftovers() == []


def test_a_range_that_fails_leaves_the_rollups_as_they_were(
    record, competences, region, settings, monkeypatch
):
    settings.REPORTS_REBUILD_PARTS = 2
    country(record, competences, region)
    rebuild_mastery()
    before, standing = snapshot(), partitions()
    select = rebuild._rollups_select

    def failing(students):
        if ">=" in students:  # the second range's evidence: a division by zero on each row
            students = f"({students}) AND 1 / (e.level - e.level) = 1"
        return select(students)

    monkeypatch.setattr(rebuild, "_rollups_select", failing)
    with pytest.raises(DataError, match="division by zero"):
        rebuild_mastery()
    assert snapshot() == before and partitions() == standing
    # the failed rebuild's ranges, and the sums of the one filled
    failed = sorted(leftovers())
    assert len(failed) == 4 and {f"{failed[0]}_activity", f"{failed[0]}_changes"} < set(failed)
    monkeypatch.setattr(rebuild, "_rollups_select", select)
    rebuild_mastery()
    assert snapshot() == before and leftovers() == []


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_ranges_are_built_on_its_connection(
    record, competences, region, fill_threads
):
    """Other connections would not see what the caller's transaction wrote (here the test's
    own rows), nor can a savepoint export a snapshot: the ranges are built one after
    another on the rebuild's connection."""
    country(record, competences, region, students=6)
    incremental = snapshot()
    rebuild_mastery()
    assert snapshot() == incremental
    assert fill_threads == [threading.get_ident()] * 2 and len(partitions()) == 2
    assert leftovers() == []


def test_a_server_limit_on_idle_transactions_does_not_end_the_rebuild(
    record, competences, region, monkeypatch
):
    """The rebuild's transaction waits, idle, while the ranges are filled: a database set
    to end transactions idle for a second (against forgotten ones) does not end it."""
    country(record, competences, region, students=4)
    incremental = snapshot()
    fill = parts._fill

    def slow(*args):  # a range that takes a while, as at national size
        time.sleep(2.5)
        return fill(*args)

    monkeypatch.setattr(parts, "_fill", slow)
    with connection.cursor() as cursor:
        cursor.execute("SET idle_in_transaction_session_timeout = '1s'")
    try:
        rebuild_mastery()
    finally:
        connection.close()  # the setting goes with the connection
    assert snapshot() == incremental


def test_keys_the_rebuild_draws_count_and_a_callers_transaction_gives_the_same(
    record, competences, region
):
    """Students loaded in bulk have no record key: the rebuild draws them and the figures
    sum them, the same whether the ranges are filled side by side or, inside a caller's
    transaction (here a savepoint, which cannot export a snapshot), on its connection."""
    country(record, competences, region, students=6)
    RecordKey.objects.all().delete()  # as if loaded in bulk
    rebuild_mastery()
    assert RecordKey.objects.count() == 6
    side_by_side = snapshot()
    assert all(key_sum > 0 for *_key, key_sum in side_by_side["activity"])
    with transaction.atomic():  # the same, built on the rebuild's own connection
        mastery_rebuild()
    assert snapshot() == side_by_side


def test_a_student_joining_while_the_keys_are_drawn_is_not_left_waiting(
    record, competences, region
):
    """A membership change draws the student's key, then reads their roll-ups; a rebuild
    drawing the missing keys meanwhile waits on that key. The rebuild draws its keys before
    it locks the roll-ups, so the change reads them, commits, and the rebuild goes on
    (drawn after the lock, each would wait on the other for good, the rebuild on a thread
    of its own where PostgreSQL sees no deadlock). The change's key stays."""
    country(record, competences, region, students=4)
    joining = MasteryRollup.objects.values_list("student_id", flat=True).first()
    RecordKey.objects.all().delete()  # as if loaded in bulk
    drawn, outcome = threading.Event(), []

    def membership_change() -> None:
        try:
            with transaction.atomic():
                RecordKey.objects.create(student_id=joining, value=4242)
                drawn.set()
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '10s'")
                    if not another_waits_on_a_lock(cursor):  # the rebuild's draw, on this key
                        outcome.append("the rebuild's draw never waited")
                    outcome.append(len(MasteryRollup.objects.filter(student_id=joining)))
        except Exception as error:  # the test reads what happened
            outcome.append(error)
        finally:
            drawn.set()
            connection.close()

    other = threading.Thread(target=membership_change)
    other.start()
    assert drawn.wait(10)
    rebuild_mastery()
    other.join(20)
    assert outcome and isinstance(outcome[0], int) and outcome[0] > 0, outcome
    assert RecordKey.objects.get(student_id=joining).value == 4242
    assert RecordKey.objects.count() == 4
