"""The typed rows a report is gathered in, before it becomes the JSON document.

Each scope's builder (country.py, region.py, institution.py) returns a `ScopeFigures`: its
figures per `Unit` (the finest group it breaks down by), and the level counts per
competence and per month. document/tables.py then sums units into the breakdowns.
Every count travels with the sum of the record keys of those it counts, which the
cell-key method perturbs it by (reports/privacy.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from ..privacy import Cell


class Unit(NamedTuple):
    """The finest group of a scope: a place (the top region in a country's report, the
    institution in a region's, the cohort in an institution's), an institution kind and a
    track. Never a student."""

    place: int  # id of the region, institution or cohort
    kind: str  # institution kind
    track: str  # the cohort's track


class Place(NamedTuple):
    """A row of the scope's place breakdown (region, institution or cohort)."""

    id: int  # what Unit.place holds
    key: str  # its code, as shown and linked
    label: str  # its name, in the active language


class CohortSums(NamedTuple):
    """The scope's cohorts summed in the database for one group."""

    group: tuple  # the values of the columns grouped by, in the order asked
    cohorts: int  # how many cohorts (0: summed from the region tables, which keep no count)
    enrolled: int  # students enrolled now
    enrolled_key: int  # their record keys, summed
    completed: int  # students who completed a course by the end of the period
    completed_key: int  # their record keys, summed
    active: int  # students with evidence in the period's month
    active_key: int  # their record keys, summed


class LevelSum(NamedTuple):
    """Net competence results at one level, for one group, as of the period."""

    group: tuple  # the values of the columns grouped by (competence, month, place...)
    level: int  # 0: assessed, nothing reached yet
    n: int  # results in, minus results out, summed
    key: int  # the record keys of the results in, minus those of the results out, summed


@dataclass(frozen=True)
class ScopeFigures:
    """Everything a scope's builder gathers; the rest of the report is the same for all."""

    label: str  # the total row's label: the country, the region or the institution
    place: str  # the place breakdown's name: "region", "institution" or "cohort"
    places: Sequence[Place]  # its rows, in order
    by_kind: bool  # whether the report breaks down by institution kind too
    units: Mapping[Unit, Tally]  # the figures of each unit, as summed
    competence_levels: Sequence[LevelSum]  # group: (competence id,)
    month_levels: Sequence[LevelSum]  # group: (month,): changes in that month
    month_active: Mapping[date, Cell]  # active students per month of the trend
    # a page's build (region.py): `places` are the rows of one page of the place
    # breakdown, `place_units` their figures, `place_rows` how many rows the whole
    # breakdown has and `place_first` the index of the first one shown; `units` then
    # carry place 0 (the totals, kinds and tracks come from the region tables)
    place_units: Mapping[Unit, Tally] | None = None
    place_rows: int | None = None
    place_first: int = 0


class Tally:
    """What a unit or a group reports before disclosure control, summed in plain integers
    added in place: a region's report sums tens of thousands of level rows, and an object
    per addition costs more (in the garbage collector) than the queries. document/tables.py
    makes the cells of a row from it."""

    __slots__ = ("counts", "level_key", "level_n")

    def __init__(self) -> None:
        # enrolled, its key sum, completed, its key sum, active, its key sum
        self.counts = [0, 0, 0, 0, 0, 0]
        self.level_n: dict[int, int] = {}  # competence results per level
        self.level_key: dict[int, int] = {}  # their record keys, summed, per level

    def add_cohorts(self, sums: CohortSums) -> None:
        c = self.counts
        c[0] += sums.enrolled
        c[1] += sums.enrolled_key
        c[2] += sums.completed
        c[3] += sums.completed_key
        c[4] += sums.active
        c[5] += sums.active_key

    def add_level(self, level: int, n: int, key: int) -> None:
        self.level_n[level] = self.level_n.get(level, 0) + n
        self.level_key[level] = self.level_key.get(level, 0) + key

    def add(self, other: Tally) -> None:
        counts = self.counts
        for i, value in enumerate(other.counts):
            counts[i] += value
        level_n, level_key = self.level_n, self.level_key
        for level, n in other.level_n.items():
            level_n[level] = level_n.get(level, 0) + n
        for level, key in other.level_key.items():
            level_key[level] = level_key.get(level, 0) + key


def gather(
    figures: Sequence[tuple[Unit, CohortSums]], levels: Sequence[tuple[Unit, LevelSum]]
) -> dict[Unit, Tally]:
    """Units from the cohort sums and the level counts, each attributed to a unit."""
    tallies: dict[Unit, Tally] = {}
    for unit, sums in figures:
        tally = tallies.get(unit) or tallies.setdefault(unit, Tally())
        tally.add_cohorts(sums)
    for unit, row in levels:
        tally = tallies.get(unit) or tallies.setdefault(unit, Tally())
        tally.add_level(row.level, row.n, row.key)
    return tallies
