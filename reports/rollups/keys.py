"""Students' record keys for the cell-key method (reports/privacy.py): one random key per
student, drawn once, the first time the student is counted (joining a cohort, or a
rebuild), and never redrawn; the roll-ups sum them next to every count."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, connection, transaction

from people.models import Membership, Role

from ..models import RecordKey
from ..privacy import KEY_MODULUS


def new_record_key() -> int:
    """A fresh key, uniform over 0..KEY_MODULUS-1, from the operating system's generator."""
    return secrets.randbelow(KEY_MODULUS)


def record_key(student_id: int) -> int:
    """The student's record key, drawn now if they have none yet."""
    keys = RecordKey.objects.filter(student_id=student_id).values_list("value", flat=True)
    value = keys.first()
    if value is None:
        # two workers drawing for the same student at once: the first one stored wins
        RecordKey.objects.bulk_create(
            [RecordKey(student_id=student_id, value=new_record_key())], ignore_conflicts=True
        )
        value = keys.get()
    return value


def record_keys_fill(low: int | None = None, high: int | None = None) -> int:
    """Draw a key, set-based, for every student of a cohort who has none yet (students
    loaded in bulk, before a rebuild), of those with ids from `low` to below `high` (None:
    no bound); returns how many were drawn. Existing keys stay."""
    table = RecordKey._meta.db_table
    membership = Membership._meta.db_table
    bits = KEY_MODULUS.bit_length() - 1  # KEY_MODULUS is a power of two
    between = "".join(
        f" AND m.user_id {op} {int(bound)}"
        for op, bound in ((">=", low), ("<", high))
        if bound is not None
    )
    if connection.vendor == "postgresql":
        # gen_random_uuid() draws from the server's strong random source: take `bits` of
        # its first (random) hex digits
        draw = f"('x' || substr(gen_random_uuid()::text, 1, {bits // 4}))::bit({bits})::integer"
    else:
        draw = f"(random() & {KEY_MODULUS - 1})"
    draw_missing = f"""INSERT INTO {table} (student_id, value)
        SELECT s.user_id, {draw} FROM (
            SELECT DISTINCT m.user_id FROM {membership} m
            WHERE m.role = %s AND m.cohort_id IS NOT NULL{between}
              AND NOT EXISTS (SELECT 1 FROM {table} k WHERE k.student_id = m.user_id)
        ) s WHERE true"""  # noqa: S608 - table names from the models
    with connection.cursor() as cursor:
        try:
            # a plain insert first (2,000,000 keys: 5.7 s, against 8.6 s checking each
            # for a conflict) ...
            with transaction.atomic():
                cursor.execute(draw_missing, [Role.STUDENT])
        except IntegrityError:
            # ... and where a key was drawn meanwhile by a membership change, that key
            # stays (SQLite's grammar wants the WHERE before ON CONFLICT)
            cursor.execute(f"{draw_missing} ON CONFLICT (student_id) DO NOTHING", [Role.STUDENT])
        return cursor.rowcount


def record_keys_drop_orphans() -> int:
    """Forget the keys of deleted accounts (kept until the memberships deleted with them
    had subtracted them); returns how many."""
    table = RecordKey._meta.db_table
    user = Membership._meta.get_field("user").related_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""DELETE FROM {table}
            WHERE NOT EXISTS (SELECT 1 FROM {user} u WHERE u.id = {table}.student_id)"""  # noqa: S608
        )
        return cursor.rowcount
