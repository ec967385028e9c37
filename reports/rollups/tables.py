"""What the incremental and the set-based paths share: the tables' keys and columns, the
upsert that moves a figure by a difference, the month of a timestamp in SQL, and the
cohorts a student's figures count in. Every count moves with the sum of the record keys
of the students it counts (`key_change`, `key_sum`: reports/privacy.py)."""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.db import connection

from people.models import Cohort, Membership, Role

from ..models import MasteryStep, RecordKey

CHANGE = ["change", "key_change"]  # what a level table's upsert adds
COUNT = ["students", "key_sum"]  # what a student-count table's upsert adds
CHANGE_KEY = ["cohort_id", "competence_id", "month", "level"]
CHANGE_COLUMNS = ["cohort_id", "competence_id", "framework_id", "month", "level", *CHANGE]
LEVEL_KEY = ["institution_id", "track", "academic_year", "framework_id", "month", "level"]
LEVEL_COLUMNS = [*LEVEL_KEY, *CHANGE]
CUBE_KEY = ["region_id", "kind", "track", "academic_year", "competence_id", "month", "level"]
CUBE_COLUMNS = [*CUBE_KEY[:5], "framework_id", "month", "level", *CHANGE]
REGION_KEY = ["region_id", "kind", "track", "academic_year", "framework_id", "month", "level"]
REGION_COLUMNS = [*REGION_KEY, *CHANGE]
COUNTRY_KEY = ["kind", "track", "academic_year", "competence_id", "month", "level"]
COUNTRY_COLUMNS = [*COUNTRY_KEY[:4], "framework_id", "month", "level", *CHANGE]
REGION_ACTIVITY_KEY = ["region_id", "kind", "track", "academic_year", "month"]


class CohortPlace(NamedTuple):
    """Where a cohort's figures are summed to."""

    region_id: int  # its institution's region or city
    kind: str  # its institution's kind
    track: str  # its track
    academic_year: str  # its academic year
    institution_id: int  # its institution


def cohort_places(cohort_ids) -> dict[int, CohortPlace]:
    """{cohort id: where its figures are summed to}."""
    return {
        pk: CohortPlace(*place)
        for pk, *place in Cohort.objects.filter(pk__in=cohort_ids).values_list(
            "pk",
            "institution__region_id",
            "institution__kind",
            "track",
            "academic_year",
            "institution_id",
        )
    }


def student_cohort_ids(student_id: int) -> list[int]:
    """The cohorts a student's figures count in (a student in two cohorts counts in both)."""
    return list(
        Membership.objects.filter(
            user_id=student_id, role=Role.STUDENT, cohort__isnull=False
        ).values_list("cohort_id", flat=True)
    )


def upsert(model, key: list[str], columns: list[str], add: list[str], rows: list[tuple]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE SET a = a + excluded.a for each column `a` of `add`
    (PostgreSQL, SQLite)."""
    if not rows:
        return
    table = model._meta.db_table
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sets = ", ".join(f"{a} = {table}.{a} + excluded.{a}" for a in add)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def month_sql(column: str) -> tuple[str, tuple]:
    """SQL for the first day of the month of timestamp `column`, in settings.TIME_ZONE."""
    sql, params = connection.ops.datetime_trunc_sql("month", column, (), settings.TIME_ZONE)
    if connection.vendor == "postgresql":
        return f"({sql})::date", params
    return f"date({sql})", params


CHANGES_BODY = """
    SELECT student_id, competence_id, framework_id, month, level, 1 AS change,
           rk AS key_change
    FROM s WHERE prev IS NULL OR prev <> level
    UNION ALL
    SELECT student_id, competence_id, framework_id, month, prev, -1, -rk
    FROM s WHERE prev IS NOT NULL AND prev <> level
"""


def changes_select(where: str = "") -> tuple[str, str]:
    """(body, WITH clause): every step of MasteryStep as +1 into its level and -1 out of the
    previous one, with the student's record key signed alike, as rows (student_id,
    competence_id, framework_id, month, level, change, key_change); the set-based twin of
    steps.changes_from. `where` filters MasteryStep."""
    step = MasteryStep._meta.db_table
    keys = RecordKey._meta.db_table
    lag = "LAG(x.level) OVER (PARTITION BY x.student_id, x.competence_id ORDER BY x.month)"
    columns = (
        "x.student_id, x.competence_id, x.framework_id, x.month, x.level, "
        f"{lag} AS prev, COALESCE(r.value, 0) AS rk"
    )
    with_clause = (
        f"WITH s AS (SELECT {columns} FROM (SELECT * FROM {step} {where}) x "  # noqa: S608
        f"LEFT JOIN {keys} r ON r.student_id = x.student_id)"
    )
    return CHANGES_BODY, with_clause
