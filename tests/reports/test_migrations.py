"""Upgrading an installation that has roll-ups: the migrations that key the big derived
tables by their columns, move the steps into the roll-ups and partition them keep every
row, and so does going back."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("reports", "0003_region_enrolment_and_completions")
KEYED = ("reports", "0004_composite_keys")
STEPS_IN_ROLLUPS = ("reports", "0005_steps_in_rollups")
PARTITIONED = ("reports", "0006_rollups_partitioned")
LEAF = PARTITIONED
WHEN = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def rows(apps):
    """Every row of the three tables, without the id (there is none once keyed)."""
    tables = {}
    for name in ("MasteryRollup", "MasteryStep", "CohortMasteryChange"):
        model = apps.get_model("reports", name)
        fields = [f.attname for f in model._meta.concrete_fields if not f.auto_created]
        tables[name] = sorted(model.objects.values_list(*fields))
    return tables


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_keying_the_derived_tables_keeps_every_row_both_ways():
    old = migrate(BEFORE)
    # the derived tables carry no database constraint: bare ids will do
    old.get_model("reports", "MasteryRollup").objects.bulk_create(
        old.get_model("reports", "MasteryRollup")(
            student_id=s,
            competence_id=c,
            framework_id=1,
            level=c % 4,
            evidence_count=2,
            average_score=0.75,
            first_activity_at=WHEN,
            last_activity_at=WHEN,
        )
        for s in (10, 11)
        for c in (1, 2, 3)
    )
    old.get_model("reports", "MasteryStep").objects.bulk_create(
        old.get_model("reports", "MasteryStep")(
            student_id=10, competence_id=1, framework_id=1, month=date(2026, m, 1), level=m
        )
        for m in (1, 2, 3)
    )
    old.get_model("reports", "CohortMasteryChange").objects.bulk_create(
        old.get_model("reports", "CohortMasteryChange")(
            cohort_id=7,
            competence_id=1,
            framework_id=1,
            month=date(2026, 2, 1),
            level=level,
            change=change,
            key_change=change * 1000,
        )
        for level, change in ((1, -1), (2, 1))
    )
    before = rows(old)
    try:
        keyed = migrate(KEYED)
        assert rows(keyed) == before
        rollup = keyed.get_model("reports", "MasteryRollup")
        assert rollup.objects.get(pk=(11, 2)).level == 2
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, rollup._meta.db_table)
        keys = [sorted(c["columns"]) for c in constraints.values() if c["primary_key"]]
        assert keys == [["competence_id", "student_id"]]
        back = migrate(BEFORE)
        assert rows(back) == before
        assert (
            back.get_model("reports", "MasteryStep").objects.filter(id__isnull=False).count() == 3
        )
    finally:
        migrate(LEAF)  # the leaf again, for the tests after this one


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_steps_move_into_the_rollups_and_back():
    """Forwards, each roll-up takes its steps in month order; backwards, the step rows and
    the cohort changes come back as the rebuild of that release made them."""
    old = migrate(KEYED)
    rollup = old.get_model("reports", "MasteryRollup")
    rollup.objects.bulk_create(
        rollup(
            student_id=10,
            competence_id=c,
            framework_id=1,
            level=2,
            evidence_count=3,
            average_score=0.75,
            first_activity_at=WHEN,
            last_activity_at=WHEN,
        )
        for c in (1, 2)
    )
    step = old.get_model("reports", "MasteryStep")
    steps = [(1, date(2026, 3, 1), 2), (1, date(2026, 1, 1), 1), (1, date(2026, 2, 1), 2)]
    steps += [(2, date(2026, 2, 1), 0)]
    step.objects.bulk_create(
        step(student_id=10, competence_id=c, framework_id=1, month=month, level=level)
        for c, month, level in steps
    )
    old.get_model("reports", "RecordKey").objects.create(student_id=10, value=1000)
    user = old.get_model("people", "User").objects.create(username="migrated-student")
    region = old.get_model("people", "Region").objects.first()
    institution = old.get_model("people", "Institution").objects.create(
        code="migrated-school", kind="school", region=region, name_en="School"
    )
    cohort = old.get_model("people", "Cohort").objects.create(
        institution=institution,
        name="G-1",
        code="migrated-g1",
        track="school",
        academic_year="2025-2026",
    )
    old.get_model("people", "Membership").objects.create(
        user_id=user.pk, cohort=cohort, role="student"
    )
    rollup.objects.filter(student_id=10).update(student_id=user.pk)
    step.objects.filter(student_id=10).update(student_id=user.pk)
    old.get_model("reports", "RecordKey").objects.filter(student_id=10).update(student_id=user.pk)
    try:
        moved = migrate(STEPS_IN_ROLLUPS)
        rows = {
            r.competence_id: (r.step_months, r.step_levels)
            for r in moved.get_model("reports", "MasteryRollup").objects.all()
        }
        assert rows == {
            1: ([date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)], [1, 2, 2]),
            2: ([date(2026, 2, 1)], [0]),
        }
        table = moved.get_model("reports", "MasteryRollup")._meta.db_table
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        keys = [sorted(c["columns"]) for c in constraints.values() if c["primary_key"]]
        assert keys == [["competence_id", "student_id"]]
        checks = {name for name, c in constraints.items() if c["check"]}
        assert {"rollup_has_evidence", "rollup_score_0_1"} <= checks
        back = migrate(KEYED)
        assert sorted(
            back.get_model("reports", "MasteryStep").objects.values_list(
                "competence_id", "month", "level"
            )
        ) == sorted(steps)
        assert sorted(
            back.get_model("reports", "CohortMasteryChange").objects.values_list(
                "cohort_id", "competence_id", "month", "level", "change", "key_change"
            )
        ) == [
            (cohort.pk, 1, date(2026, 1, 1), 1, 1, 1000),
            (cohort.pk, 1, date(2026, 2, 1), 1, -1, -1000),
            (cohort.pk, 1, date(2026, 2, 1), 2, 1, 1000),
            (cohort.pk, 2, date(2026, 2, 1), 0, 1, 1000),
        ]
    finally:
        migrate(LEAF)


def rollup_table() -> tuple[str, list[str], list[tuple]]:
    """The roll-ups table's kind (r: plain, p: partitioned), its constraints, its rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'reports_masteryrollup'::regclass")
        (kind,) = cursor.fetchone()
        cursor.execute(
            "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'reports_masteryrollup'::regclass ORDER BY 1"
        )
        constraints = [c for (c,) in cursor.fetchall()]
        cursor.execute("SELECT * FROM reports_masteryrollup ORDER BY 1, 2")
        return kind, constraints, cursor.fetchall()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_rollups_are_partitioned_and_back_with_every_row():
    """PostgreSQL: the roll-ups table becomes one partition, for every student, of a table
    partitioned by student, with the same key and checks; backwards, a plain table again."""
    if connection.vendor != "postgresql":
        pytest.skip("partitions: PostgreSQL")
    old = migrate(STEPS_IN_ROLLUPS)
    rollup = old.get_model("reports", "MasteryRollup")
    rollup.objects.bulk_create(
        rollup(
            student_id=s,
            competence_id=c,
            framework_id=1,
            level=c,
            evidence_count=s,
            average_score=0.5,
            first_activity_at=WHEN,
            last_activity_at=WHEN,
            step_months=[date(2026, 3, 1)],
            step_levels=[c],
        )
        for s in (10, 2**31 - 1)
        for c in (1, 2)
    )
    kind, constraints, before = rollup_table()
    assert kind == "r" and len(before) == 4
    try:
        migrate(PARTITIONED)
        assert rollup_table() == ("p", constraints, before)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'reports_masteryrollup'::regclass"
            )
            assert cursor.fetchall() == [
                ("reports_masteryrollup_part_0", "FOR VALUES FROM (MINVALUE) TO (MAXVALUE)")
            ]
            # the key holds across the partitions: a pair twice is refused
            with pytest.raises(IntegrityError), transaction.atomic():
                cursor.execute(
                    "INSERT INTO reports_masteryrollup SELECT * FROM reports_masteryrollup LIMIT 1"
                )
        migrate(STEPS_IN_ROLLUPS)
        assert rollup_table() == ("r", constraints, before)
    finally:
        migrate(LEAF)
