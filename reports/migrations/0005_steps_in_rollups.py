"""The steps move into the roll-up's row (two lists: the months with evidence, the level
reached by each), and the per-cohort-and-competence change table goes: an institution's
report sums its students' steps instead. At 2,000,000 students that is 30 million step
rows and 22 million cohort rows (and their indexes) a rebuild no longer writes.

Forwards, every roll-up takes its steps from MasteryStep (on PostgreSQL the table made
again with them). Backwards, MasteryStep and CohortMasteryChange are filled again from
the roll-ups' steps (row by row: at national size, run `manage.py rebuild_mastery` of the
older release instead)."""

from collections import Counter, defaultdict

from django.db import migrations

import reports.models.fields


def steps_into_rollups(apps, schema_editor):
    """Each roll-up takes its steps, in month order. PostgreSQL: the table is made again
    with them and its key built once at the end (an UPDATE of every row took 20 minutes at
    2,000,000 students: a new version of each row, and its key entered one by one)."""
    model = apps.get_model("reports", "MasteryRollup")
    rollup = model._meta.db_table
    step = apps.get_model("reports", "MasteryStep")._meta.db_table
    if schema_editor.connection.vendor != "postgresql":
        for column, value in (("step_months", "month"), ("step_levels", "level")):
            schema_editor.execute(
                f"""UPDATE {rollup} SET {column} = (
                    SELECT json_group_array({value}) FROM (
                        SELECT s.{value} FROM {step} s WHERE s.student_id = {rollup}.student_id
                        AND s.competence_id = {rollup}.competence_id ORDER BY s.month))"""  # noqa: S608
            )
        return
    qn = schema_editor.quote_name
    old = f"{rollup}_before_steps"
    with schema_editor.connection.cursor() as cursor:
        # the names of its key and checks are wanted by the new table's
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype IN ('p', 'c')",
            [rollup],
        )
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"ALTER TABLE {qn(rollup)} DROP CONSTRAINT {qn(name)}")
    schema_editor.execute(f"ALTER TABLE {qn(rollup)} RENAME TO {qn(old)}")
    schema_editor.create_model(model)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'p'",
            [rollup],
        )
        key = cursor.fetchone()
    schema_editor.execute(f"ALTER TABLE {qn(rollup)} DROP CONSTRAINT {qn(key[0])}")
    columns = [
        f.column
        for f in model._meta.local_concrete_fields
        if f.column not in ("step_months", "step_levels")
    ]
    names = ", ".join(qn(c) for c in columns)
    schema_editor.execute(
        f"""INSERT INTO {qn(rollup)} ({names}, step_months, step_levels)
        SELECT {", ".join(f"r.{qn(c)}" for c in columns)},
               COALESCE(s.months, '{{}}'), COALESCE(s.levels, '{{}}')
        FROM {qn(old)} r LEFT JOIN (
            SELECT student_id, competence_id, array_agg(month ORDER BY month) AS months,
                   array_agg(level ORDER BY month) AS levels
            FROM {step} GROUP BY student_id, competence_id) s
          ON s.student_id = r.student_id AND s.competence_id = r.competence_id
        ORDER BY r.student_id, r.competence_id"""  # noqa: S608
    )
    schema_editor.execute(f"ALTER TABLE {qn(rollup)} ADD CONSTRAINT {qn(key[0])} {key[1]}")
    schema_editor.execute(f"DROP TABLE {qn(old)}")


def steps_out_of_rollups(apps, schema_editor):
    """MasteryStep and CohortMasteryChange again, from the roll-ups' steps (the changes as
    reports.rollups.steps.changes_from counts them: +1 into a level, -1 out of the one
    before, with the student's record key alike)."""
    db = schema_editor.connection.alias
    rollup = apps.get_model("reports", "MasteryRollup")
    step = apps.get_model("reports", "MasteryStep")
    change = apps.get_model("reports", "CohortMasteryChange")
    membership = apps.get_model("people", "Membership")
    keys = dict(
        apps.get_model("reports", "RecordKey").objects.using(db).values_list("student_id", "value")
    )
    cohorts = defaultdict(list)
    for user_id, cohort_id in (
        membership.objects.using(db)
        .filter(role="student", cohort__isnull=False)
        .values_list("user_id", "cohort_id")
    ):
        cohorts[user_id].append(cohort_id)
    steps, changes = [], Counter()
    for row in rollup.objects.using(db).order_by("student_id", "competence_id").iterator():
        previous = None
        for month, level in zip(row.step_months, row.step_levels, strict=True):
            steps.append(
                step(
                    student_id=row.student_id,
                    competence_id=row.competence_id,
                    framework_id=row.framework_id,
                    month=month,
                    level=level,
                )
            )
            moves = [] if level == previous else [(level, 1)]
            if moves and previous is not None:
                moves.append((previous, -1))
            for cohort_id in cohorts[row.student_id]:
                for at, delta in moves:
                    cell = (cohort_id, row.competence_id, row.framework_id, month, at)
                    changes[cell] += delta
                    changes[(*cell, "key")] += delta * keys.get(row.student_id, 0)
            previous = level
        if len(steps) >= 10_000:
            step.objects.using(db).bulk_create(steps)
            steps = []
    step.objects.using(db).bulk_create(steps)
    change.objects.using(db).bulk_create(
        (
            change(
                cohort_id=cell[0],
                competence_id=cell[1],
                framework_id=cell[2],
                month=cell[3],
                level=cell[4],
                change=delta,
                key_change=changes[(*cell, "key")],
            )
            for cell, delta in changes.items()
            if len(cell) == 5 and (delta or changes[(*cell, "key")])
        ),
        batch_size=10_000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_institution_local_login"),
        ("reports", "0004_composite_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="masteryrollup",
            name="step_months",
            field=reports.models.fields.ListField(
                of="date", default=list, verbose_name="months with evidence"
            ),
        ),
        migrations.AddField(
            model_name="masteryrollup",
            name="step_levels",
            field=reports.models.fields.ListField(
                of="smallint", default=list, verbose_name="level reached by each month's end"
            ),
        ),
        migrations.RunPython(steps_into_rollups, steps_out_of_rollups),
        migrations.DeleteModel(name="CohortMasteryChange"),
        migrations.DeleteModel(name="MasteryStep"),
    ]
