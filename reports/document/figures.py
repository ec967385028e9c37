"""The typed rows a report is gathered in, before it becomes the JSON document.

Each scope's builder (country.py, region.py, institution.py) returns a `ScopeFigures`: its
figures per `Unit` (the finest group it breaks down by), and the level counts per
competence and per month. document/tables.py then sums units into the breakdowns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple


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
    cohorts: int  # how many cohorts
    enrolled: int  # students enrolled now
    completed: int  # students who completed a course by the end of the period
    active: int  # students with evidence in the period's month


class LevelSum(NamedTuple):
    """Net competence results at one level, for one group, as of the period."""

    group: tuple  # the values of the columns grouped by (competence, month, place...)
    level: int  # 0: assessed, nothing reached yet
    n: int  # results in, minus results out, summed


def _add_levels(a: Mapping[int, int], b: Mapping[int, int]) -> dict[int, int]:
    levels = dict(a)
    for level, n in b.items():
        levels[level] = levels.get(level, 0) + n
    return levels


@dataclass(frozen=True)
class Figures:
    """What a group's row reports before suppression."""

    enrolled: int = 0  # students enrolled
    active: int = 0  # students active in the period's month
    completed: int = 0  # students who completed a course by the end of the period
    levels: Mapping[int, int] = field(default_factory=dict)  # competence results per level

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            enrolled=self.enrolled + other.enrolled,
            active=self.active + other.active,
            completed=self.completed + other.completed,
            levels=_add_levels(self.levels, other.levels),
        )

    def with_levels(self, levels: Mapping[int, int]) -> Figures:
        return Figures(self.enrolled, self.active, self.completed, _add_levels(self.levels, levels))


@dataclass(frozen=True)
class ScopeFigures:
    """Everything a scope's builder gathers; the rest of the report is the same for all."""

    label: str  # the total row's label: the country, the region or the institution
    place: str  # the place breakdown's name: "region", "institution" or "cohort"
    places: Sequence[Place]  # its rows, in order
    by_kind: bool  # whether the report breaks down by institution kind too
    units: Mapping[Unit, Figures]  # the figures of each unit
    competence_levels: Sequence[LevelSum]  # group: (competence id,)
    month_levels: Sequence[LevelSum]  # group: (month,): changes in that month
    month_active: Mapping[date, int]  # active students per month of the trend


def gather(
    figures: Sequence[tuple[Unit, CohortSums]], levels: Sequence[tuple[Unit, LevelSum]]
) -> dict[Unit, Figures]:
    """Units from the cohort sums and the level counts, each attributed to a unit."""
    units: dict[Unit, Figures] = {}
    for unit, sums in figures:
        units[unit] = units.get(unit, Figures()) + Figures(
            enrolled=sums.enrolled, active=sums.active, completed=sums.completed
        )
    for unit, row in levels:
        units[unit] = units.get(unit, Figures()).with_levels({row.level: row.n})
    return units
