"""PostgreSQL: the roll-ups table becomes a table partitioned by ranges of student, so a
rebuild can fill the ranges on connections of their own, side by side, and put the new
partitions in place of the old ones without writing the rows a second time
(reports/rollups/parts.py). The table as it stands becomes the one partition, for every
student; the first rebuild splits it. No model changes: on SQLite nothing is done.

Backwards, a plain table is made again with every row."""

from django.db import migrations

ROLLUP = "reports_masteryrollup"
FIRST = f"{ROLLUP}_part_0"  # the table as it stands, the one partition
PARTITIONED = f"{ROLLUP}_partitioned"  # the partitioned table, going back


def _key_name(cursor, table: str) -> str:
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
        [table],
    )
    return cursor.fetchone()[0]


def partitioned(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    qn = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        key = _key_name(cursor, ROLLUP)
    # the table and its key take the partition's names; the partitioned table takes theirs
    schema_editor.execute(f"ALTER TABLE {ROLLUP} RENAME TO {FIRST}")
    schema_editor.execute(f"ALTER TABLE {FIRST} RENAME CONSTRAINT {qn(key)} TO {FIRST}_pkey")
    schema_editor.execute(
        f"CREATE TABLE {ROLLUP} (LIKE {FIRST} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (student_id)"
    )
    schema_editor.execute(
        f"ALTER TABLE {ROLLUP} ADD CONSTRAINT {qn(key)} PRIMARY KEY (student_id, competence_id)"
    )
    # every student (student_id is NOT NULL: nothing to scan); its key becomes the
    # partition's part of the partitioned key
    schema_editor.execute(
        f"ALTER TABLE {ROLLUP} ATTACH PARTITION {FIRST} FOR VALUES FROM (MINVALUE) TO (MAXVALUE)"
    )


def plain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    qn = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        key = _key_name(cursor, ROLLUP)
    schema_editor.execute(f"ALTER TABLE {ROLLUP} RENAME TO {PARTITIONED}")
    schema_editor.execute(
        f"ALTER TABLE {PARTITIONED} RENAME CONSTRAINT {qn(key)} TO {PARTITIONED}_pkey"
    )
    schema_editor.execute(
        f"CREATE TABLE {ROLLUP} (LIKE {PARTITIONED} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING STORAGE INCLUDING COMMENTS)"
    )
    schema_editor.execute(f"INSERT INTO {ROLLUP} SELECT * FROM {PARTITIONED}")  # noqa: S608
    schema_editor.execute(
        f"ALTER TABLE {ROLLUP} ADD CONSTRAINT {qn(key)} PRIMARY KEY (student_id, competence_id)"
    )
    schema_editor.execute(f"DROP TABLE {PARTITIONED}")  # and its partitions


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_steps_in_rollups")]

    operations = [migrations.RunPython(partitioned, plain, elidable=False)]
