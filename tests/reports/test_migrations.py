"""Upgrading an installation that has roll-ups: the migration that keys the big derived
tables by their columns keeps every row, and so does going back."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("reports", "0003_region_enrolment_and_completions")
KEYED = ("reports", "0004_composite_keys")
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
        migrate(KEYED)  # the leaf again, for the tests after this one
