"""A scope's figures turned into the report document's tables (schema report-v1), with
disclosure control applied before anything leaves: total, breakdowns by place, kind and
track, competences, and the monthly trend."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import date
from typing import NamedTuple

from curricula.models import Competence
from people.models import Institution, Track

from ..filters import ReportFilters, add_months
from ..privacy import suppress_table
from .bands import Bands
from .figures import Figures, ScopeFigures, Unit
from .queries import TREND_MONTHS, as_date, trend_start


def row(key: str, label: str, bands: Bands, levels: Mapping[int, int], **figures) -> dict:
    """One row of a table: its counts, the average level and the results per band."""
    results = sum(levels.values())
    per_band: dict[str, int] = {}
    for level, n in levels.items():
        band = bands.key(level)
        per_band[band] = per_band.get(band, 0) + n
    out = {"key": key, "label": label, **figures, "results": results}
    out["average_level"] = (
        round(sum(level * n for level, n in levels.items()) / results, 2) if results else None
    )
    if "enrolled" in figures:
        out["completion_rate"] = (
            round(figures["completed"] / figures["enrolled"], 3) if figures["enrolled"] else None
        )
    out["bands"] = [{"key": b, "count": per_band.get(b, 0)} for b in bands.keys]
    out["suppressed"] = False
    return out


def group_row(key: str, label: str, bands: Bands, figures: Figures) -> dict:
    return row(
        key,
        label,
        bands,
        figures.levels,
        enrolled=figures.enrolled,
        active=figures.active,
        completed=figures.completed,
    )


def grouped(units: Mapping[Unit, Figures], key_of: Callable[[Unit], Hashable]) -> dict:
    """Units summed into groups (a few hundred at most), levels nobody is at left out."""
    groups: dict = {}
    for unit, figures in units.items():
        key = key_of(unit)
        groups[key] = groups[key] + figures if key in groups else figures
    return {
        key: Figures(g.enrolled, g.active, g.completed, {lv: n for lv, n in g.levels.items() if n})
        for key, g in groups.items()
    }


def breakdowns(filters: ReportFilters, scope: ScopeFigures, bands: Bands) -> dict[str, list]:
    """The scope's place breakdown, then kind (not inside one institution) and track."""
    by_place = grouped(scope.units, lambda unit: unit.place)
    tables = {
        scope.place: [
            group_row(place.key, place.label, bands, by_place.get(place.id, Figures()))
            for place in scope.places
        ]
    }
    if scope.by_kind:
        by_kind = grouped(scope.units, lambda unit: unit.kind)
        tables["kind"] = [
            group_row(kind, str(label), bands, by_kind.get(kind, Figures()))
            for kind, label in Institution.Kind.choices
            if kind != Institution.Kind.MINISTRY and (not filters.kind or kind == filters.kind)
        ]
    by_track = grouped(scope.units, lambda unit: unit.track)
    tables["track"] = [
        group_row(track, str(label), bands, by_track.get(track, Figures()))
        for track, label in Track.choices
        if not filters.track or track == filters.track
    ]
    return tables


def competence_table(filters: ReportFilters, scope: ScopeFigures, bands: Bands) -> list[dict]:
    per_competence: dict[int, dict[int, int]] = {}
    for sums in scope.competence_levels:
        if sums.n:
            per_competence.setdefault(sums.group[0], {})[sums.level] = sums.n
    rows = []
    for competence in Competence.objects.filter(area__framework=filters.framework).order_by(
        "area__order", "area__code", "order", "code"
    ):
        competence_row = row(
            competence.code, competence.name, bands, per_competence.get(competence.pk, {})
        )
        competence_row["area"] = competence.area.code
        rows.append(competence_row)
    return rows


def trend_table(filters: ReportFilters, scope: ScopeFigures, bands: Bands) -> list[dict]:
    """Twelve months up to the period: levels as of each month's end, active students."""
    first = trend_start(filters)
    changes: dict[date, dict[int, int]] = {}
    for sums in scope.month_levels:
        month = max(as_date(sums.group[0]), first)  # earlier changes count from the start
        levels = changes.setdefault(month, {})
        levels[sums.level] = levels.get(sums.level, 0) + sums.n
    rows, running = [], {}
    for index in range(TREND_MONTHS):
        month = add_months(first, index)
        for level, n in changes.get(month, {}).items():
            running[level] = running.get(level, 0) + n
        counts = {level: n for level, n in running.items() if n}
        month_row = row(
            f"{month:%Y-%m}",
            f"{month:%Y-%m}",
            bands,
            counts,
            active=scope.month_active.get(month, 0),
        )
        month_row["bands"] = []
        rows.append(month_row)
    return rows


class Tables(NamedTuple):
    """The document's tables, suppressed."""

    total: dict  # the scope as a whole
    breakdowns: dict[str, list[dict]]  # by place, kind (not in an institution), track
    competences: list[dict]  # every competence of the framework
    trend: list[dict]  # the twelve months up to the period


def suppressed_tables(filters: ReportFilters, scope: ScopeFigures, bands: Bands, k: int) -> Tables:
    """The tables of a scope's figures, each suppressed for groups of fewer than `k`."""
    whole = grouped(scope.units, lambda unit: "total").get("total", Figures())
    total = group_row("total", scope.label, bands, whole)
    tables = breakdowns(filters, scope, bands)
    for rows in tables.values():
        suppress_table(rows, total, k, additive=True)
    suppress_table([], total, k, additive=False)
    competences = competence_table(filters, scope, bands)
    suppress_table(competences, None, k, additive=False)
    trend = trend_table(filters, scope, bands)
    suppress_table(trend, None, k, additive=False)
    for month_row in trend:
        month_row.pop("bands")
        month_row["month"] = month_row.pop("key")
        month_row.pop("label")
    return Tables(total, tables, competences, trend)
