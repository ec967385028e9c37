"""Reads of the reports app: the ministry report as one suppressed, JSON-ready document.

Every figure is an aggregate query over per-cohort tables (CohortMasteryChange,
CohortMonthlyActivity) or memberships, grouped in the database by cohort; cohorts (a few
thousand rows, never students) are then summed into regions, institutions, kinds and
tracks. `suppress_table` applies the privacy rules before anything leaves this module.

Privacy rules (k = settings.REPORTS_MIN_GROUP_SIZE):
- a row (region, institution, cohort, competence, month...) describing fewer than k
  students is suppressed whole (every figure becomes null);
- any count from 1 to k-1 is suppressed;
- complementary suppression: where a total is shown and exactly one of its parts is
  suppressed, the next smallest part is suppressed too, along every dimension shown
  (the siblings of a table column, the bands of a row), until nothing can be recovered
  by subtraction;
- averages and rates are suppressed with the count they are computed from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter

from django.conf import settings
from django.db import connections
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from curricula.models import Competence, CompetenceFramework, ProficiencyLevel
from people import access
from people.models import Cohort, Institution, Region, Track, User

from .models import (
    CohortEnrolment,
    CohortMasteryChange,
    CohortMonthlyActivity,
    CohortMonthlyCompletion,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    RegionLevelChange,
    RegionMonthlyActivity,
)

SCHEMA_VERSION = "1"
FILTER_KEYS = ("period", "framework", "region", "track", "kind", "institution")
IGNORED_KEYS = ("format", "lang")  # DRF's format override; the page's language switch
TREND_MONTHS = 12
COUNT_FIELDS = ("enrolled", "active", "completed", "results")


class FilterError(ValueError):
    """A filter the report cannot honour; the message says why, for a 400 answer."""


def can_view_reports(user: User) -> bool:
    roles = access.roles_of(user)
    return roles.ministry_analyst or roles.institution_admin


# ---------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------
def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def academic_year_of(month: date) -> str:
    """September starts the school and university year."""
    start = month.year if month.month >= 9 else month.year - 1
    return f"{start}-{start + 1}"


def default_framework() -> CompetenceFramework | None:
    return (
        CompetenceFramework.objects.filter(kind=CompetenceFramework.Kind.DIGCOMP).first()
        or CompetenceFramework.objects.order_by("pk").first()
    )


@dataclass(frozen=True)
class ReportFilters:
    period: date  # first day of the month the report describes (figures as of its end)
    framework: CompetenceFramework
    region: Region | None = None
    track: str = ""
    kind: str = ""
    institution: Institution | None = None

    @property
    def scope(self) -> str:
        if self.institution is not None:
            return "institution"
        return "region" if self.region is not None else "country"

    def as_dict(self) -> dict:
        return {
            "period": f"{self.period:%Y-%m}",
            "framework": self.framework.slug,
            "region": self.region.code if self.region else None,
            "track": self.track or None,
            "kind": self.kind or None,
            "institution": self.institution.code if self.institution else None,
        }

    def query(self, **changes) -> dict:
        """Query parameters for a link to this report with some filters changed."""
        values = {**self.as_dict(), **changes}
        return {key: value for key, value in values.items() if value}

    @classmethod
    def from_dict(cls, data: Mapping) -> ReportFilters:
        return parse_filters(data, user=None)

    @classmethod
    def for_schedule(cls, schedule, *, period: str) -> ReportFilters:
        return parse_filters(
            {
                "period": period,
                "framework": schedule.framework.slug,
                "region": schedule.region.code if schedule.region else "",
                "track": schedule.track,
            },
            user=None,
        )


def _one(params: Mapping, key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return (value or "").strip()


def parse_filters(params: Mapping, *, user: User | None) -> ReportFilters:
    """Validate report filters. `user` None: the scheduler (no scope restriction)."""
    unknown = sorted(set(params) - set(FILTER_KEYS) - set(IGNORED_KEYS))
    if unknown:
        raise FilterError(
            _("Unknown filter “%(name)s”. Known filters: %(known)s.")
            % {"name": unknown[0][:40], "known": ", ".join(FILTER_KEYS)}
        )
    this_month = _first_of_month(timezone.localdate())
    raw = _one(params, "period")
    if raw:
        match = re.fullmatch(r"(\d{4})-(\d{2})", raw)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise FilterError(_("The period must be a month written YYYY-MM, for example 2026-03."))
        period = date(int(match.group(1)), int(match.group(2)), 1)
        if period > this_month:
            raise FilterError(
                _("The period %(period)s is in the future; the latest is %(latest)s.")
                % {"period": raw, "latest": f"{this_month:%Y-%m}"}
            )
    else:
        period = this_month

    slug = _one(params, "framework")
    framework = (
        CompetenceFramework.objects.filter(slug=slug).first() if slug else default_framework()
    )
    if framework is None:
        raise FilterError(
            _("There is no competence framework “%(slug)s”.") % {"slug": slug[:60]}
            if slug
            else _("No competence framework is set up yet.")
        )

    track = _one(params, "track")
    if track and track not in Track.values:
        raise FilterError(
            _("Unknown track “%(value)s”. Tracks: %(known)s.")
            % {"value": track[:40], "known": ", ".join(Track.values)}
        )
    kinds = [k for k in Institution.Kind.values if k != Institution.Kind.MINISTRY]
    kind = _one(params, "kind")
    if kind and kind not in kinds:
        raise FilterError(
            _("Unknown institution kind “%(value)s”. Kinds: %(known)s.")
            % {"value": kind[:40], "known": ", ".join(kinds)}
        )
    region = None
    code = _one(params, "region")
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise FilterError(_("There is no region “%(code)s”.") % {"code": code[:60]})

    institution = None
    code = _one(params, "institution")
    roles = access.roles_of(user) if user is not None else None
    if code:
        institution = (
            Institution.objects.exclude(kind=Institution.Kind.MINISTRY)
            .select_related("region")
            .filter(code=code)
            .first()
        )
        if institution is None:
            raise FilterError(_("There is no institution “%(code)s”.") % {"code": code[:60]})
    if roles is not None and not roles.ministry_analyst:
        # an institution admin sees their own institution(s), nothing wider
        own = access.administered_institutions(user).select_related("region")
        if institution is None:
            institution = own.order_by("name_en").first()
        elif not own.filter(pk=institution.pk).exists():
            raise FilterError(_("You can only see reports of the institutions you administer."))
        if institution is None:
            raise FilterError(_("You do not administer any institution."))
    if institution is not None:
        region = None  # the institution is the scope
    return ReportFilters(
        period=period,
        framework=framework,
        region=region,
        track=track,
        kind=kind,
        institution=institution,
    )


# ---------------------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------------------
def _suppress_cell(row: dict, name: str) -> bool:
    if name.startswith("band:"):
        band = next(b for b in row["bands"] if b["key"] == name[5:])
        if band["count"] is None:
            return False
        band["count"] = None
        return True
    if row[name] is None:
        return False
    row[name] = None
    return True


def _cell(row: dict, name: str):
    if name.startswith("band:"):
        return next(b for b in row["bands"] if b["key"] == name[5:])["count"]
    return row[name]


def _suppress_row(row: dict) -> None:
    row["suppressed"] = True
    for name in (*COUNT_FIELDS, "completion_rate", "average_level"):
        if name in row:
            row[name] = None
    for band in row["bands"]:
        band["count"] = None


def _size(row: dict) -> int:
    return row.get("enrolled", row["results"]) or 0


def suppress_table(rows: list[dict], total: dict | None, k: int, *, additive: bool) -> None:
    """Suppress in place. `additive`: the rows partition `total` (regions of a country),
    so a column must not leave exactly one suppressed part (competences and months do
    not add up, and are checked row by row only)."""
    # 1. primary: small groups and small counts
    for row in [*rows, *([total] if total else [])]:
        if row.get("suppressed"):
            continue
        if 0 < _size(row) < k:
            _suppress_row(row)
            continue
        for name in COUNT_FIELDS:
            value = row.get(name)
            if value is not None and 0 < value < k:
                row[name] = None
        for band in row["bands"]:
            if band["count"] is not None and 0 < band["count"] < k:
                band["count"] = None
    if total is not None and total.get("suppressed"):
        for row in rows:
            _suppress_row(row)
    # 2. complementary: whole rows first (keeps a table readable), then single cells
    if additive and total is not None and not total.get("suppressed"):
        hidden = [r for r in rows if r.get("suppressed")]
        shown = [r for r in rows if not r.get("suppressed")]
        if len(hidden) == 1 and shown:
            _suppress_row(min(shown, key=lambda r: (_size(r), r["key"])))
    columns = [name for name in COUNT_FIELDS if rows and name in rows[0]]
    columns += [f"band:{b['key']}" for b in (rows[0]["bands"] if rows else [])]
    # each cell as (row, the dict holding it, its key there), looked up once: a region's
    # table has hundreds of rows, and the loop below reads every cell on each pass
    cells: dict[str, list[tuple[dict, dict, str]]] = {name: [] for name in columns}
    for row in rows if additive and total is not None else []:
        bands = {band["key"]: band for band in row["bands"]}
        for name in columns:
            if name.startswith("band:"):
                cells[name].append((row, bands[name[5:]], "count"))
            else:
                cells[name].append((row, row, name))
    changed = True
    while changed:
        changed = False
        if additive and total is not None:
            for name in columns:
                if _cell(total, name) is None:
                    continue
                column = cells[name]
                hidden = sum(1 for _row, holder, key in column if holder[key] is None)
                if hidden == 1 and len(column) > 1:
                    _row, holder, key = min(
                        (cell for cell in column if cell[1][cell[2]] is not None),
                        key=lambda cell: (cell[1][cell[2]], cell[0]["key"]),
                    )
                    holder[key] = None
                    changed = True
        for row in [*rows, *([total] if total else [])]:
            if row["results"] is None:
                # one band per pass, as the columns above may take a complement meanwhile
                changed |= any(_suppress_cell(row, f"band:{b['key']}") for b in row["bands"])
                continue
            hidden = [b for b in row["bands"] if b["count"] is None]
            shown = [b for b in row["bands"] if b["count"] is not None]
            if len(hidden) == 1 and shown:
                victim = min(shown, key=lambda b: (b["count"], b["key"]))
                changed |= _suppress_cell(row, f"band:{victim['key']}")
    # 3. derived figures go with their counts
    for row in [*rows, *([total] if total else [])]:
        if row["results"] is None:
            row["average_level"] = None
        if "completion_rate" in row and (row["completed"] is None or row["enrolled"] is None):
            row["completion_rate"] = None


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------
@dataclass
class _Bands:
    """The framework's levels grouped in bands: DigComp 1-2/3-4/5-6/7-8, UNESCO 1/2/3."""

    keys: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    of_level: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, framework: CompetenceFramework) -> _Bands:
        bands = cls()
        bands.keys.append("0")
        bands.labels["0"] = _("No level yet")
        bands.of_level[0] = "0"
        groups: dict[str, list[ProficiencyLevel]] = {}
        for level in ProficiencyLevel.objects.filter(framework=framework).order_by("number"):
            groups.setdefault(level.band_en or level.name_en, []).append(level)
        for members in groups.values():
            numbers = [m.number for m in members]
            key = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
            bands.keys.append(key)
            bands.labels[key] = members[0].band or members[0].name
            for number in numbers:
                bands.of_level[number] = key
        return bands

    def key(self, level: int) -> str:
        return self.of_level.get(level) or self.keys[-1]


def _row(key: str, label: str, bands: _Bands, counts: dict[int, int], **figures) -> dict:
    results = sum(counts.values())
    per_band = defaultdict(int)
    for level, n in counts.items():
        per_band[bands.key(level)] += n
    row = {"key": key, "label": label, **figures, "results": results}
    row["average_level"] = (
        round(sum(level * n for level, n in counts.items()) / results, 2) if results else None
    )
    if "enrolled" in figures:
        row["completion_rate"] = (
            round(figures["completed"] / figures["enrolled"], 3) if figures["enrolled"] else None
        )
    row["bands"] = [{"key": b, "count": per_band.get(b, 0)} for b in bands.keys]
    row["suppressed"] = False
    return row


def _region_and_cities(region: Region):
    """Ids of a region and of the cities inside it (a subquery: no round trip)."""
    return Region.objects.filter(Q(pk=region.pk) | Q(parent=region)).values("pk")


def _scope_cohorts(filters: ReportFilters):
    qs = (
        Cohort.objects.filter(academic_year=academic_year_of(filters.period))
        .exclude(institution__kind=Institution.Kind.MINISTRY)
        .order_by()
    )
    if filters.institution is not None:
        qs = qs.filter(institution=filters.institution)
    elif filters.region is not None:
        qs = qs.filter(institution__region__in=_region_and_cities(filters.region))
    if filters.kind:
        qs = qs.filter(institution__kind=filters.kind)
    if filters.track:
        qs = qs.filter(track=filters.track)
    return qs


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _grouped_sums(queryset, groupings: list[tuple[str, ...]], value: str) -> list[list[tuple]]:
    """SUM(`value`) over the rows of `queryset`, grouped by each of `groupings` in turn, in
    one statement: one scan with GROUPING SETS on PostgreSQL, UNION ALL elsewhere. One
    list of (*grouping values, sum) per grouping."""
    db = connections[queryset.db]
    qn = db.ops.quote_name
    columns = list(dict.fromkeys(name for grouping in groupings for name in grouping))
    inner, params = queryset.order_by().values(*columns, value).query.sql_with_params()
    # values() names each selected column after the field path it was given
    if db.vendor == "postgresql":
        everything = ", ".join(qn(c) for c in columns)
        sets = ", ".join("(" + ", ".join(qn(c) for c in g) + ")" for g in groupings)
        sql = (
            f"SELECT GROUPING({everything}), {everything}, SUM({qn(value)}) "  # noqa: S608
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
                f"SELECT {n}, {shown}, SUM({qn(value)}) FROM ({inner}) base GROUP BY {by}"  # noqa: S608
            )
        sql = " UNION ALL ".join(parts)
        params = tuple(params) * len(groupings)
        index_of = {n: n for n in range(len(groupings))}
    results: list[list[tuple]] = [[] for _grouping in groupings]
    # (the grouping's values, the sum) out of (grouping id, every column, the sum)
    pick = [itemgetter(*(1 + columns.index(c) for c in g), -1) for g in groupings]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            n = index_of[row[0]]
            results[n].append(pick[n](row))
    return [[(*row[:-1], int(row[-1] or 0)) for row in rows] for rows in results]


def _cohort_figures(filters: ReportFilters, cohorts_qs, dims: list[str]) -> list[tuple]:
    """(*dims, cohorts, enrolled, completed by the end of the period, active in it) for the
    scope's cohorts grouped by `dims` (Cohort field paths), summed in the database."""
    db = connections[cohorts_qs.db]
    qn = db.ops.quote_name
    columns = list(dict.fromkeys(["pk", *dims]))
    scope_sql, scope_params = cohorts_qs.values(*columns).query.sql_with_params()
    # completions summed per cohort: all of them for a country or a region (one pass over
    # a small table), only the institution's own cohorts for an institution
    only, only_params = "", ()
    if filters.institution is not None:
        ids_sql, only_params = cohorts_qs.values("pk").query.sql_with_params()
        only = f"AND cohort_id IN ({ids_sql})"
    by = ", ".join(f"c.{qn(d)}" for d in dims)
    month = db.ops.adapt_datefield_value(filters.period)
    sql = f"""
        SELECT {by}, COUNT(*), SUM(COALESCE(e.students, 0)), SUM(COALESCE(d.students, 0)),
               SUM(COALESCE(a.students, 0))
        FROM ({scope_sql}) c
        LEFT JOIN {CohortEnrolment._meta.db_table} e ON e.cohort_id = c.{qn("pk")}
        LEFT JOIN (SELECT cohort_id, SUM(students) AS students
                   FROM {CohortMonthlyCompletion._meta.db_table}
                   WHERE month <= %s {only} GROUP BY cohort_id) d
               ON d.cohort_id = c.{qn("pk")}
        LEFT JOIN {CohortMonthlyActivity._meta.db_table} a
               ON a.cohort_id = c.{qn("pk")} AND a.month = %s
        GROUP BY {by}"""  # noqa: S608 - table and column names come from the models
    with db.cursor() as cursor:
        cursor.execute(sql, (*scope_params, month, *only_params, month))
        # sums of sums come back as decimals from PostgreSQL
        return [(*row[: len(dims)], *map(int, row[len(dims) :])) for row in cursor.fetchall()]


def report_build(filters: ReportFilters, *, progress: Callable[[int], None] | None = None) -> dict:
    """The report for `filters`, suppressed, as a JSON-ready dict (schema report-v1).

    A handful of queries whatever the scope: the cohorts' own figures summed per group in
    the database (one statement), the levels in one scan of the cube (country, region) or
    of the cohort table (institution), the per-institution levels of a region, the trend's
    activity. Python then only adds up a few hundred groups."""
    k = settings.REPORTS_MIN_GROUP_SIZE
    step = progress or (lambda percent: None)
    bands = _Bands.of(filters.framework)
    year = academic_year_of(filters.period)
    cohorts_qs = _scope_cohorts(filters)
    cohort_ids = cohorts_qs.values("pk")

    # Figures are gathered per unit, a tuple shaped like
    # (institution, track, kind, region, parent region, cohort code, cohort name) with what
    # the scope does not break down left None: (region, kind, track) country-wide,
    # (institution, kind, track) in a region, cohorts in an institution.
    units: dict[tuple, dict] = defaultdict(
        lambda: {"enrolled": 0, "active": 0, "completed": 0, "levels": {}}
    )
    regions = {}
    if filters.scope == "country":
        regions = {r.pk: r for r in Region.objects.all()}
        figures = _cohort_figures(
            filters, cohorts_qs, ["institution__region_id", "institution__kind", "track"]
        )
        for region, kind, track, _n, enrolled, completed, active in figures:
            dims = (None, track, kind, region, regions[region].parent_id, None, None)
            units[dims].update(enrolled=enrolled, completed=completed, active=active)
    elif filters.scope == "region":
        figures = _cohort_figures(
            filters, cohorts_qs, ["institution_id", "institution__kind", "track"]
        )
        for institution, kind, track, _n, enrolled, completed, active in figures:
            dims = (institution, track, kind, None, None, None, None)
            units[dims].update(enrolled=enrolled, completed=completed, active=active)
    else:
        inst = filters.institution
        cohort_dims = {}
        figures = _cohort_figures(filters, cohorts_qs, ["pk", "track", "code", "name"])
        for pk, track, code, name, _n, enrolled, completed, active in figures:
            dims = (inst.pk, track, inst.kind, inst.region_id, inst.region.parent_id, code, name)
            cohort_dims[pk] = dims
            units[dims].update(enrolled=enrolled, completed=completed, active=active)
    step(25)

    # -- levels: the cube's sums country-wide, the cube in a region, else cohort tables ---
    def narrowed(changes, kind: str = "kind", track: str = "track"):
        if filters.kind:
            changes = changes.filter(**{kind: filters.kind})
        if filters.track:
            changes = changes.filter(**{track: filters.track})
        return changes

    as_of = {"academic_year": year, "framework": filters.framework, "month__lte": filters.period}
    level_rows = []  # (unit, level, n)
    if filters.scope == "country":
        per_region, month_sums = _grouped_sums(
            narrowed(
                RegionLevelChange.objects.filter(**as_of).exclude(kind=Institution.Kind.MINISTRY)
            ),
            [("region", "kind", "track", "level"), ("month", "level")],
            "change",
        )
        competence_sums = list(
            narrowed(
                CountryCompetenceChange.objects.filter(**as_of).exclude(
                    kind=Institution.Kind.MINISTRY
                )
            )
            .order_by()
            .values("competence", "level")
            .annotate(n=Sum("change"))
            .values_list("competence", "level", "n")
        )
        for region, kind, track, level, n in per_region:
            dims = (None, track, kind, region, regions[region].parent_id, None, None)
            level_rows.append((dims, level, n))
    elif filters.scope == "region":
        competence_sums, month_sums = _grouped_sums(
            narrowed(
                MasteryCube.objects.filter(
                    region__in=_region_and_cities(filters.region), **as_of
                ).exclude(kind=Institution.Kind.MINISTRY)
            ),
            [("competence", "level"), ("month", "level")],
            "change",
        )
        per_institution = narrowed(
            InstitutionLevelChange.objects.filter(
                institution__region__in=_region_and_cities(filters.region), **as_of
            ),
            kind="institution__kind",
        )
        (per_institution,) = _grouped_sums(
            per_institution, [("institution", "institution__kind", "track", "level")], "change"
        )
        for institution, kind, track, level, n in per_institution:
            level_rows.append(((institution, track, kind, None, None, None, None), level, n))
    else:  # an institution: its cohorts' own rows (a few dozen cohorts)
        per_cohort, competence_sums, month_sums = _grouped_sums(
            CohortMasteryChange.objects.filter(
                cohort__in=cohort_ids, framework=filters.framework, month__lte=filters.period
            ),
            [("cohort", "level"), ("competence", "level"), ("month", "level")],
            "change",
        )
        for cohort, level, n in per_cohort:
            level_rows.append((cohort_dims[cohort], level, n))
    for dims, level, n in level_rows:
        levels = units[dims]["levels"]
        levels[level] = levels.get(level, 0) + n
    step(50)
    per_competence = defaultdict(dict)
    for competence, level, n in competence_sums:
        if n:
            per_competence[competence][level] = n
    first_month = _add_months(filters.period, -(TREND_MONTHS - 1))
    trend_changes = defaultdict(dict)
    for month, level, n in month_sums:
        month = max(_as_date(month), first_month)
        trend_changes[month][level] = trend_changes[month].get(level, 0) + n
    window = {"month__gte": first_month, "month__lte": filters.period}
    if filters.institution is None:  # summed per region already
        activity = narrowed(
            RegionMonthlyActivity.objects.filter(academic_year=year, **window).exclude(
                kind=Institution.Kind.MINISTRY
            )
        )
        if filters.region is not None:
            activity = activity.filter(region__in=_region_and_cities(filters.region))
    else:
        activity = CohortMonthlyActivity.objects.filter(cohort__in=cohort_ids, **window)
    trend_active = dict(
        activity.order_by().values("month").annotate(n=Sum("students")).values_list("month", "n")
    )
    step(75)

    # -- units summed into groups (a few hundred at most, never students) -----------------
    def group(key_of) -> dict:
        groups = defaultdict(lambda: {"enrolled": 0, "active": 0, "completed": 0, "levels": {}})
        for dims, unit in units.items():
            g = groups[key_of(dims)]
            g["enrolled"] += unit["enrolled"]
            g["active"] += unit["active"]
            g["completed"] += unit["completed"]
            for level, n in unit["levels"].items():
                g["levels"][level] = g["levels"].get(level, 0) + n
        for g in groups.values():
            g["levels"] = {level: n for level, n in g["levels"].items() if n}
        return groups

    def rows_of(groups: dict, labels: dict[str, str], order=None) -> list[dict]:
        keys = order if order is not None else sorted(groups, key=lambda k: labels.get(k, k))
        return [
            _row(
                key,
                labels.get(key, key),
                bands,
                groups[key]["levels"] if key in groups else {},
                enrolled=groups[key]["enrolled"] if key in groups else 0,
                active=groups[key]["active"] if key in groups else 0,
                completed=groups[key]["completed"] if key in groups else 0,
            )
            for key in keys
        ]

    totals = group(lambda dims: "total").get("total") or {
        "enrolled": 0,
        "active": 0,
        "completed": 0,
        "levels": {},
    }
    label = _("Country")
    if filters.institution is not None:
        label = filters.institution.name
    elif filters.region is not None:
        label = filters.region.name
    total = _row(
        "total",
        label,
        bands,
        totals["levels"],
        enrolled=totals["enrolled"],
        active=totals["active"],
        completed=totals["completed"],
    )

    breakdowns: dict[str, list[dict]] = {}
    if filters.scope == "country":
        top = {pk: r for pk, r in regions.items() if r.parent_id is None}
        groups = group(lambda dims: top[dims[4] or dims[3]].code)
        region_labels = {r.code: r.name for r in top.values()}
        breakdowns["region"] = rows_of(
            groups, region_labels, order=sorted(region_labels, key=lambda c: region_labels[c])
        )
    elif filters.scope == "region":
        groups = group(lambda dims: dims[0])
        institutions = {
            i.pk: i
            for i in Institution.objects.filter(pk__in=list(groups)).only(
                "pk", "code", "name_en", "name_az", "name_ru"
            )
        }
        rows = rows_of(groups, {pk: institutions[pk].name for pk in groups})
        for row in rows:
            row["key"] = institutions[row["key"]].code
        breakdowns["institution"] = rows
    else:
        groups = group(lambda dims: dims[5])
        breakdowns["cohort"] = rows_of(groups, {dims[5]: dims[6] for dims in cohort_dims.values()})
    if filters.scope != "institution":
        kind_labels = {
            k: str(v) for k, v in Institution.Kind.choices if k != Institution.Kind.MINISTRY
        }
        breakdowns["kind"] = rows_of(
            group(lambda dims: dims[2]),
            kind_labels,
            order=[k for k in kind_labels if not filters.kind or k == filters.kind],
        )
    track_labels = {k: str(v) for k, v in Track.choices}
    breakdowns["track"] = rows_of(
        group(lambda dims: dims[1]),
        track_labels,
        order=[t for t in track_labels if not filters.track or t == filters.track],
    )
    for rows in breakdowns.values():
        suppress_table(rows, total, k, additive=True)
    suppress_table([], total, k, additive=False)

    competences = []
    for competence in Competence.objects.filter(area__framework=filters.framework).order_by(
        "area__order", "area__code", "order", "code"
    ):
        row = _row(competence.code, competence.name, bands, per_competence.get(competence.pk, {}))
        row["area"] = competence.area.code
        competences.append(row)
    suppress_table(competences, None, k, additive=False)

    trend = []
    running: dict[int, int] = {}
    for index in range(TREND_MONTHS):
        month = _add_months(first_month, index)
        for level, n in trend_changes.get(month, {}).items():
            running[level] = running.get(level, 0) + n
        counts = {level: n for level, n in running.items() if n}
        row = _row(
            f"{month:%Y-%m}", f"{month:%Y-%m}", bands, counts, active=trend_active.get(month, 0)
        )
        row["bands"] = []
        trend.append(row)
    suppress_table(trend, None, k, additive=False)
    for row in trend:
        row.pop("bands")
        row["month"] = row.pop("key")
        row.pop("label")
    step(100)

    return {
        "schema": "report-v1",
        "schema_version": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "period": f"{filters.period:%Y-%m}",
        "academic_year": academic_year_of(filters.period),
        "scope": filters.scope,
        "filters": filters.as_dict(),
        "framework": {"slug": filters.framework.slug, "name": filters.framework.name},
        "min_group_size": k,
        "bands": [{"key": b, "label": str(bands.labels[b])} for b in bands.keys],
        "total": total,
        "breakdowns": breakdowns,
        "competences": competences,
        "trend": trend,
    }


# ---------------------------------------------------------------------------------------
# Page helpers
# ---------------------------------------------------------------------------------------
def filter_choices() -> dict:
    """What the dashboard's filter form offers (small reference tables)."""
    return {
        "regions": list(Region.objects.filter(parent__isnull=True).order_by("name_en")),
        "frameworks": list(CompetenceFramework.objects.order_by("pk")),
        "tracks": Track.choices,
        "kinds": [c for c in Institution.Kind.choices if c[0] != Institution.Kind.MINISTRY],
    }
