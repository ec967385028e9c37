"""The few statements a report needs, over the roll-up tables and the scope's cohorts
(a few thousand rows, never students), summed in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import itemgetter

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q, QuerySet, Sum

from people.models import Cohort, Institution, Region

from ..filters import ReportFilters, add_months
from ..models import (
    CohortEnrolment,
    CohortMonthlyActivity,
    CohortMonthlyCompletion,
    RegionEnrolment,
    RegionMonthlyActivity,
    RegionMonthlyCompletion,
)
from ..privacy import Cell
from .figures import CohortSums, LevelSum

TREND_MONTHS = 12


def trend_start(filters: ReportFilters) -> date:
    """The first month of the trend (changes before it are summed into it)."""
    return add_months(filters.period, -(TREND_MONTHS - 1))


def region_and_cities(region: Region) -> QuerySet:
    """Ids of a region and of the cities inside it (a subquery: no round trip)."""
    return Region.objects.filter(Q(pk=region.pk) | Q(parent=region)).values("pk")


def scope_cohorts(filters: ReportFilters) -> QuerySet[Cohort]:
    """The cohorts of the period's academic year the report describes."""
    qs = (
        Cohort.objects.filter(academic_year=filters.academic_year)
        .exclude(institution__kind=Institution.Kind.MINISTRY)
        .order_by()
    )
    if filters.institution is not None:
        qs = qs.filter(institution=filters.institution)
    elif filters.region is not None:
        qs = qs.filter(institution__region__in=region_and_cities(filters.region))
    if filters.kind:
        qs = qs.filter(institution__kind=filters.kind)
    if filters.track:
        qs = qs.filter(track=filters.track)
    return qs


def narrowed(filters: ReportFilters, rows: QuerySet, kind: str = "kind", track: str = "track"):
    """`rows` of a table keyed by institution kind and track, narrowed as the filters say."""
    if filters.kind:
        rows = rows.filter(**{kind: filters.kind})
    if filters.track:
        rows = rows.filter(**{track: filters.track})
    return rows


def as_of(filters: ReportFilters) -> dict:
    """Lookups of the level tables keyed by year: every change up to the period."""
    return {
        "academic_year": filters.academic_year,
        "framework": filters.framework,
        "month__lte": filters.period,
    }


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def level_sums(
    rows: QuerySet | tuple[str, Sequence], groupings: Sequence[Sequence[str]]
) -> list[list[LevelSum]]:
    """SUM(change) and SUM(key_change) over `rows` (a queryset of a level table, or (SQL,
    parameters) of rows with columns named as the groupings, level, change and key_change),
    grouped by each of `groupings` (and the level) in turn, in one statement: one scan with
    GROUPING SETS on PostgreSQL, UNION ALL elsewhere. One list of LevelSum per grouping."""
    groupings = [(*grouping, "level") for grouping in groupings]
    columns = list(dict.fromkeys(name for grouping in groupings for name in grouping))
    if isinstance(rows, QuerySet):
        db = connections[rows.db]
        inner, params = (
            rows.order_by().values(*columns, "change", "key_change").query.sql_with_params()
        )
    else:
        db = connections[DEFAULT_DB_ALIAS]
        inner, params = rows
    qn = db.ops.quote_name
    # the key sums cast back to bigint: PostgreSQL sums bigints as numeric (Decimals)
    sums = f"SUM({qn('change')}), CAST(SUM({qn('key_change')}) AS BIGINT)"
    # values() names each selected column after the field path it was given
    if db.vendor == "postgresql":
        everything = ", ".join(qn(c) for c in columns)
        # the level first: an input already in the order of the grouping's first column (a
        # region's institutions) would otherwise tempt the planner into sorting thousands of
        # small groups, where one hash table is twice as fast
        sets = ", ".join(
            "(" + ", ".join(qn(c) for c in ("level", *g[:-1])) + ")" for g in groupings
        )
        sql = (
            f"SELECT GROUPING({everything}), {everything}, {sums} "  # noqa: S608
            f"FROM ({inner}) base GROUP BY GROUPING SETS ({sets})"
        )
        params = tuple(params)
        # GROUPING(): one bit per column, set where the column is not grouped (first = high)
        index_of = {
            sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in g): n
            for n, g in enumerate(groupings)
        }
    else:
        parts = []
        for n, grouping in enumerate(groupings):
            shown = ", ".join(qn(c) if c in grouping else "NULL" for c in columns)
            by = ", ".join(qn(c) for c in grouping)
            parts.append(
                f"SELECT {n}, {shown}, {sums} FROM ({inner}) base GROUP BY {by}"  # noqa: S608
            )
        sql = " UNION ALL ".join(parts)
        params = tuple(params) * len(groupings)
        index_of = {n: n for n in range(len(groupings))}
    results: list[list[LevelSum]] = [[] for _grouping in groupings]
    # (the grouping's values, the level, the sums) out of (grouping id, every column, sums)
    pick = [itemgetter(*(1 + columns.index(c) for c in g), -2, -1) for g in groupings]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            n = index_of[row[0]]
            *group, level, total, keys = pick[n](row)
            results[n].append(LevelSum(tuple(group), level, int(total or 0), int(keys or 0)))
    return results


def competence_sums(queryset: QuerySet) -> list[LevelSum]:
    """SUM(change) and SUM(key_change) per competence and level of a table with a
    competence column."""
    return [
        LevelSum((competence,), level, int(n), int(keys))
        for competence, level, n, keys in queryset.order_by()
        .values("competence", "level")
        .annotate(n=Sum("change"), keys=Sum("key_change"))
        .values_list("competence", "level", "n", "keys")
    ]


def cohort_sums(filters: ReportFilters, cohorts: QuerySet, dims: list[str]) -> list[CohortSums]:
    """The scope's cohorts grouped by `dims` (Cohort field paths): how many, students
    enrolled, completed by the end of the period, active in it (each with the sum of their
    record keys); summed in the database."""
    db = connections[cohorts.db]
    qn = db.ops.quote_name
    columns = list(dict.fromkeys(["pk", *dims]))
    scope_sql, scope_params = cohorts.values(*columns).query.sql_with_params()
    # completions summed per cohort, for the scope's own cohorts only
    ids_sql, only_params = cohorts.values("pk").query.sql_with_params()
    only = f"AND cohort_id IN ({ids_sql})"
    by = ", ".join(f"c.{qn(d)}" for d in dims)
    month = db.ops.adapt_datefield_value(filters.period)
    sql = f"""
        SELECT {by}, COUNT(*),
               SUM(COALESCE(e.students, 0)), CAST(SUM(COALESCE(e.key_sum, 0)) AS BIGINT),
               SUM(COALESCE(d.students, 0)), CAST(SUM(COALESCE(d.key_sum, 0)) AS BIGINT),
               SUM(COALESCE(a.students, 0)), CAST(SUM(COALESCE(a.key_sum, 0)) AS BIGINT)
        FROM ({scope_sql}) c
        LEFT JOIN {CohortEnrolment._meta.db_table} e ON e.cohort_id = c.{qn("pk")}
        LEFT JOIN (SELECT cohort_id, SUM(students) AS students, SUM(key_sum) AS key_sum
                   FROM {CohortMonthlyCompletion._meta.db_table}
                   WHERE month <= %s {only} GROUP BY cohort_id) d
               ON d.cohort_id = c.{qn("pk")}
        LEFT JOIN {CohortMonthlyActivity._meta.db_table} a
               ON a.cohort_id = c.{qn("pk")} AND a.month = %s
        GROUP BY {by}"""  # noqa: S608 - table and column names come from the models
    with db.cursor() as cursor:
        cursor.execute(sql, (*scope_params, month, *only_params, month))
        # sums of sums come back as decimals from PostgreSQL
        return [
            CohortSums(tuple(row[: len(dims)]), *map(int, row[len(dims) :]))
            for row in cursor.fetchall()
        ]


def region_cohort_sums(filters: ReportFilters, regions=None) -> list[CohortSums]:
    """The country's cohorts of the period's year summed per (region or city, institution
    kind, track), from the region tables (a few hundred rows, never one per cohort): the
    same figures as `cohort_sums` over every cohort grouped alike. `regions`: only those
    (ids, or a subquery of them)."""
    sums: dict[tuple, list[int]] = {}

    def add(rows, at: int) -> None:
        for region, kind, track, n, keys in rows:
            figures = sums.setdefault((region, kind, track), [0] * 6)
            figures[at] += int(n or 0)
            figures[at + 1] += int(keys or 0)

    year = {"academic_year": filters.academic_year}
    group = ("region", "kind", "track")
    for model, lookups, at in (
        (RegionEnrolment, year, 0),
        (RegionMonthlyCompletion, {**year, "month__lte": filters.period}, 2),
        (RegionMonthlyActivity, {**year, "month": filters.period}, 4),
    ):
        rows = narrowed(filters, model.objects.filter(**lookups)).exclude(
            kind=Institution.Kind.MINISTRY
        )
        if regions is not None:
            rows = rows.filter(region__in=regions)
        add(
            rows.order_by()
            .values(*group)
            .annotate(n=Sum("students"), keys=Sum("key_sum"))
            .values_list(*group, "n", "keys"),
            at,
        )
    return [CohortSums(group, 0, *figures) for group, figures in sorted(sums.items())]


def active_per_month(activity: QuerySet) -> dict[date, Cell]:
    """Active students per month of an activity table's rows (and their keys, summed)."""
    return {
        month: Cell(int(n), int(keys))
        for month, n, keys in activity.order_by()
        .values("month")
        .annotate(n=Sum("students"), keys=Sum("key_sum"))
        .values_list("month", "n", "keys")
    }
