"""A scope's figures turned into the report document's tables (schema report-v1), with
disclosure control applied before anything leaves: total, breakdowns by place, kind and
track, competences, and the monthly trend. Every row and every total is protected on its
own (reports/privacy.py: each is a cell of its own people)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import date
from typing import NamedTuple

from curricula.models import Competence
from people.models import Institution, Track

from ..filters import ReportFilters, add_months
from ..privacy import ZERO, Cell, protect_table
from .bands import Bands
from .figures import ScopeFigures, Tally, Unit
from .queries import TREND_MONTHS, as_date, trend_start


def row(
    key: str,
    label: str,
    bands: Bands,
    level_n: Mapping[int, int],
    level_key: Mapping[int, int],
    **figures: Cell,
) -> dict:
    """One row of a table, before disclosure control: its counts and the results per band
    as cells, and the true average level (privacy.protect_row rounds or hides it).
    `level_n`: competence results per level; `level_key`: their record keys, summed."""
    results = key_sum = weighted = 0
    band_n: dict[str, int] = {}
    band_key: dict[str, int] = {}
    for level, n in level_n.items():
        band, cell_key = bands.key(level), level_key[level]
        band_n[band] = band_n.get(band, 0) + n
        band_key[band] = band_key.get(band, 0) + cell_key
        results += n
        key_sum += cell_key
        weighted += level * n
    out = {"key": key, "label": label, **figures, "results": Cell(results, key_sum)}
    out["average_level"] = weighted / results if results else None
    if "enrolled" in figures:
        out["completion_rate"] = None  # from the published counts, by privacy.protect_row
    out["bands"] = [
        {"key": b, "count": Cell(band_n[b], band_key[b]) if b in band_n else ZERO}
        for b in bands.keys
    ]
    out["suppressed"] = False
    return out


def group_row(key: str, label: str, bands: Bands, tally: Tally) -> dict:
    """A row of a breakdown (or the total) from its units' sums."""
    n, level_key = tally.level_n, tally.level_key
    c = tally.counts
    return row(
        key,
        label,
        bands,
        {level: results for level, results in n.items() if results},
        level_key,
        enrolled=Cell(c[0], c[1]),
        active=Cell(c[4], c[5]),
        completed=Cell(c[2], c[3]),
    )


def grouped(units: Mapping[Unit, Tally], key_of: Callable[[Unit], Hashable]) -> dict:
    """Units summed into groups (a few hundred at most)."""
    tallies: dict = {}
    for unit, tally in units.items():
        key = key_of(unit)
        (tallies.get(key) or tallies.setdefault(key, Tally())).add(tally)
    return tallies


def breakdowns(filters: ReportFilters, scope: ScopeFigures, bands: Bands) -> dict[str, list]:
    """The scope's place breakdown, then kind (not inside one institution) and track."""
    place_units = scope.units if scope.place_units is None else scope.place_units
    by_place = grouped(place_units, lambda unit: unit.place)
    tables = {
        scope.place: [
            group_row(place.key, place.label, bands, by_place.get(place.id, Tally()))
            for place in scope.places
        ]
    }
    if scope.by_kind:
        by_kind = grouped(scope.units, lambda unit: unit.kind)
        tables["kind"] = [
            group_row(kind, str(label), bands, by_kind.get(kind, Tally()))
            for kind, label in Institution.Kind.choices
            if kind != Institution.Kind.MINISTRY and (not filters.kind or kind == filters.kind)
        ]
    by_track = grouped(scope.units, lambda unit: unit.track)
    tables["track"] = [
        group_row(track, str(label), bands, by_track.get(track, Tally()))
        for track, label in Track.choices
        if not filters.track or track == filters.track
    ]
    return tables


def competence_table(filters: ReportFilters, scope: ScopeFigures, bands: Bands) -> list[dict]:
    per_competence: dict[int, Tally] = {}
    for sums in scope.competence_levels:
        if sums.n:
            tally = per_competence.get(sums.group[0]) or per_competence.setdefault(
                sums.group[0], Tally()
            )
            tally.add_level(sums.level, sums.n, sums.key)
    rows = []
    for competence in Competence.objects.filter(area__framework=filters.framework).order_by(
        "area__order", "area__code", "order", "code"
    ):
        tally = per_competence.get(competence.pk) or Tally()
        competence_row = row(
            competence.code, competence.name, bands, tally.level_n, tally.level_key
        )
        competence_row["area"] = competence.area.code
        competence_row["level"] = competence.level  # UNESCO: its progression level
        rows.append(competence_row)
    return rows


def trend_table(filters: ReportFilters, scope: ScopeFigures, bands: Bands) -> list[dict]:
    """Twelve months up to the period: levels as of each month's end, active students."""
    first = trend_start(filters)
    changes: dict[date, Tally] = {}
    for sums in scope.month_levels:
        month = max(as_date(sums.group[0]), first)  # earlier changes count from the start
        (changes.get(month) or changes.setdefault(month, Tally())).add_level(
            sums.level, sums.n, sums.key
        )
    rows, running = [], Tally()
    for index in range(TREND_MONTHS):
        month = add_months(first, index)
        if month in changes:
            running.add(changes[month])
        month_row = row(
            f"{month:%Y-%m}",
            f"{month:%Y-%m}",
            bands,
            {level: n for level, n in running.level_n.items() if n},
            running.level_key,
            active=scope.month_active.get(month, ZERO),
        )
        # the bands stay until the row is protected (a month's average follows the same
        # rule as the total's, whose people it counts), and go after
        rows.append(month_row)
    return rows


class Tables(NamedTuple):
    """The document's tables, protected."""

    total: dict  # the scope as a whole
    breakdowns: dict[str, list[dict]]  # by place, kind (not in an institution), track
    competences: list[dict]  # every competence of the framework
    trend: list[dict]  # the twelve months up to the period


def protected_tables(filters: ReportFilters, scope: ScopeFigures, bands: Bands, k: int) -> Tables:
    """The tables of a scope's figures, protected: groups of fewer than `k` students
    suppressed, every other count perturbed by its cell key (reports/privacy.py)."""
    whole = grouped(scope.units, lambda unit: "total").get("total", Tally())
    total = group_row("total", scope.label, bands, whole)
    tables = breakdowns(filters, scope, bands)
    for rows in tables.values():
        protect_table(rows, k)
    protect_table([total], k)
    competences = competence_table(filters, scope, bands)
    protect_table(competences, k)
    trend = trend_table(filters, scope, bands)
    protect_table(trend, k)
    for month_row in trend:
        month_row.pop("bands")
        month_row["month"] = month_row.pop("key")
        month_row.pop("label")
    return Tables(total, tables, competences, trend)
