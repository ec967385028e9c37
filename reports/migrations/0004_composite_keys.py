"""The three big derived tables keyed by what identifies a row (a composite primary key)
instead of an id column and a unique constraint: one index each, no id to draw per row.

Django does not move a table to a composite primary key by itself: the models' state
changes here, and each table is made again as the model now says, its rows copied over
(a dropped column would stay in PostgreSQL's catalog, and every new row would carry a
null for it)."""

from django.db import migrations, models

TABLES = [
    # (model, its unique constraint, the key's fields)
    ("cohortmasterychange", "cohortchange_unique", ("cohort", "competence", "month", "level")),
    ("masteryrollup", "rollup_unique_pair", ("student", "competence")),
    ("masterystep", "masterystep_unique_month", ("student", "competence", "month")),
]


def key_tables(apps, schema_editor):
    """Each table made again as the models say (after this migration, or before it when
    it is reversed), its rows copied over."""
    qn = schema_editor.quote_name
    for name, _unique, _fields in TABLES:
        model = apps.get_model("reports", name)
        table = model._meta.db_table
        old = f"{table}_before_keys"
        if schema_editor.connection.vendor == "postgresql":
            # the names of its primary key and checks are wanted by the new table's
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype IN ('p', 'c')",
                    [table],
                )
                names = [conname for (conname,) in cursor.fetchall()]
            for constraint in names:
                schema_editor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(constraint)}")
        schema_editor.execute(f"ALTER TABLE {qn(table)} RENAME TO {qn(old)}")
        schema_editor.create_model(model)
        # every column both tables have (going back, the id is drawn afresh)
        columns = ", ".join(
            qn(f.column) for f in model._meta.local_concrete_fields if not f.auto_created
        )
        schema_editor.execute(
            f"INSERT INTO {qn(table)} ({columns}) SELECT {columns} FROM {qn(old)}"  # noqa: S608
        )
        schema_editor.execute(f"DROP TABLE {qn(old)}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_region_enrolment_and_completions"),
    ]

    operations = [
        # backwards (run last), with the models as they were: an id and a unique constraint
        migrations.RunPython(migrations.RunPython.noop, key_tables),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *(
                    migrations.RemoveConstraint(model_name=name, name=unique)
                    for name, unique, _fields in TABLES
                ),
                *(migrations.RemoveField(model_name=name, name="id") for name, *_rest in TABLES),
                *(
                    migrations.AddField(
                        model_name=name,
                        name="pk",
                        field=models.CompositePrimaryKey(
                            *fields,
                            blank=True,
                            editable=False,
                            primary_key=True,
                            serialize=False,
                        ),
                    )
                    for name, _unique, fields in TABLES
                ),
            ],
        ),
        # forwards, with the models keyed by their columns
        migrations.RunPython(key_tables, migrations.RunPython.noop),
    ]
