"""What ``cell.metadata.nbgrader`` says about a cell, and the grading plan of a source.

Schema versions 1, 2 and 3 are read alike, as nbgrader does: it upgrades every older cell
to the current schema before validating (``nbgraderformat/v3.py``), and the upgrades only
add keys. Version 1 has no ``cell_type`` (nbgrader then trusts the cell's own type) and
only version 3 has ``task``; a cell without ``schema_version`` predates schemas and its
missing flags mean false. Newer schemas are refused rather than guessed at.

Submissions are read leniently (`nbgrader_metadata`), because whatever a student did to
the metadata is repaired later from the source; the source is read strictly
(`parse_source`), because a teacher's mistake there would silently mis-grade everyone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nbformat import NotebookNode

from . import markers
from .errors import NotebookError
from .i18n import gettext as _

SUPPORTED_SCHEMA_VERSIONS = (1, 2, 3)
FLAGS = ("grade", "solution", "locked", "task")
GRADE_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_\-]+$")  # nbgrader's schema, minus the empty id


class CellKind(StrEnum):
    """The roles nbgrader's "Create Assignment" toolbar gives a cell."""

    TEST = "autograder_test"  # grade, not solution: locked test code worth points
    ANSWER = "answer"  # solution, not grade: the student writes here, checked by tests
    MANUAL_ANSWER = "manual_answer"  # grade and solution: an answer worth points itself
    TASK = "task"  # a markdown task, graded by hand
    LOCKED = "locked"  # read-only content
    PLAIN = "plain"  # no nbgrader role


GRADED_KINDS = frozenset({CellKind.TEST, CellKind.MANUAL_ANSWER, CellKind.TASK})


@dataclass(frozen=True)
class NbgraderMetadata:
    """The nbgrader keys of one cell; absent or malformed values read as "not set"."""

    grade: bool = False
    solution: bool = False
    locked: bool = False
    task: bool = False
    grade_id: str = ""
    points: float | None = None
    checksum: str = ""
    cell_type: str = ""  # the type when the student version was made; "" if not recorded

    @property
    def kind(self) -> CellKind:
        if self.task:
            return CellKind.TASK
        if self.grade:
            return CellKind.MANUAL_ANSWER if self.solution else CellKind.TEST
        if self.solution:
            return CellKind.ANSWER
        return CellKind.LOCKED if self.locked else CellKind.PLAIN

    @property
    def is_locked(self) -> bool:
        """Whether the student may not change the source (nbgrader's ``is_locked``).

        An answer is never locked, a test always is, whatever the ``locked`` flag says.
        """
        if self.solution:
            return False
        return self.grade or self.locked

    @property
    def is_assignment_cell(self) -> bool:
        """Whether the cell has a role and therefore must have a grade_id."""
        return self.kind is not CellKind.PLAIN


def nbgrader_metadata(cell: NotebookNode) -> NbgraderMetadata:
    """Read a cell's nbgrader metadata leniently: garbage reads as "not set"."""
    raw = cell.get("metadata", {}).get("nbgrader")
    if not isinstance(raw, dict):
        return NbgraderMetadata()
    return NbgraderMetadata(
        **{flag: raw.get(flag) is True for flag in FLAGS},
        grade_id=_string(raw.get("grade_id")),
        points=_points(raw.get("points")),
        checksum=_string(raw.get("checksum")),
        cell_type=_string(raw.get("cell_type")),
    )


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _points(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value)


@dataclass(frozen=True)
class GradeCell:
    """One cell that is worth points, as the source defines it."""

    grade_id: str
    points: float
    kind: CellKind  # one of GRADED_KINDS
    cell_type: str  # "code" or "markdown"
    has_hidden_tests: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade_id": self.grade_id,
            "points": self.points,
            "kind": str(self.kind),
            "cell_type": self.cell_type,
            "has_hidden_tests": self.has_hidden_tests,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeCell:
        return cls(
            grade_id=data["grade_id"],
            points=float(data["points"]),
            kind=CellKind(data["kind"]),
            cell_type=data["cell_type"],
            has_hidden_tests=bool(data["has_hidden_tests"]),
        )


@dataclass(frozen=True)
class SourceSpec:
    """The grading plan of a source notebook: its graded cells, in notebook order.

    Parsing checks the whole source, so a platform parses it once, when the source is
    stored, and keeps `to_dict()`; `from_dict` gives the same plan back without reading
    the notebook again.
    """

    cells: tuple[GradeCell, ...]
    grade_ids: tuple[str, ...] = ()  # every cell's grade_id, graded or not (answers, locked)

    @property
    def max_total(self) -> float:
        return math.fsum(cell.points for cell in self.cells)

    @property
    def tests(self) -> tuple[GradeCell, ...]:
        """The cells the autograder scores on its own."""
        return tuple(cell for cell in self.cells if cell.kind is CellKind.TEST)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, for a database column."""
        return {
            "cells": [cell.to_dict() for cell in self.cells],
            "grade_ids": list(self.grade_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceSpec:
        return cls(
            cells=tuple(GradeCell.from_dict(cell) for cell in data.get("cells", [])),
            grade_ids=tuple(data.get("grade_ids", [])),
        )


def parse_source(nb: NotebookNode) -> SourceSpec:
    """Check a teacher's source notebook and list its graded cells.

    Raises `NotebookError` naming every problem found, in notebook order.
    """
    problems: list[str] = []
    for number, cell in enumerate(nb.cells, start=1):
        problems.extend(_cell_problems(cell, number))
    problems.extend(_duplicate_id_problems(nb))
    if problems:
        raise NotebookError(*problems)
    grade_ids = (nbgrader_metadata(cell).grade_id for cell in nb.cells)
    return SourceSpec(
        cells=tuple(_grade_cells(nb)), grade_ids=tuple(gid for gid in grade_ids if gid)
    )


def _grade_cells(nb: NotebookNode) -> list[GradeCell]:
    graded = []
    for cell in nb.cells:
        meta = nbgrader_metadata(cell)
        if meta.kind in GRADED_KINDS:
            graded.append(
                GradeCell(
                    grade_id=meta.grade_id,
                    points=meta.points or 0.0,
                    kind=meta.kind,
                    cell_type=cell.cell_type,
                    has_hidden_tests=markers.has_hidden_tests(cell.source),
                )
            )
    return graded


def _cell_problems(cell: NotebookNode, number: int) -> list[str]:
    raw = cell.get("metadata", {}).get("nbgrader")
    if raw is None:
        return _marker_role_problems(cell, NbgraderMetadata(), _cell_name(number))
    if not isinstance(raw, dict):
        return [
            _("%(cell)s: its nbgrader metadata is not a JSON object.")
            % {"cell": _cell_name(number)}
        ]
    meta = nbgrader_metadata(cell)
    name = _cell_name(number, meta.grade_id)
    return [
        *_schema_problems(raw, name),
        *_grade_id_problems(raw, meta, name),
        *_points_problems(raw, meta, name),
        *_cell_type_problems(cell, meta, name),
        *_marker_role_problems(cell, meta, name),
    ]


def _cell_name(number: int, grade_id: str = "") -> str:
    """How problems name a cell: by its place, and by its grade_id when it has one."""
    if grade_id.strip():
        return _("Cell %(number)d ('%(grade_id)s')") % {"number": number, "grade_id": grade_id}
    return _("Cell %(number)d") % {"number": number}


def _schema_problems(raw: dict, name: str) -> list[str]:
    problems = []
    version = raw.get("schema_version")
    if version is not None and version not in SUPPORTED_SCHEMA_VERSIONS:
        problems.append(
            _(
                "%(cell)s uses nbgrader metadata schema version %(version)r; "
                "only versions 1 to 3 are supported."
            )
            % {"cell": name, "version": version}
        )
    for flag in FLAGS:
        if flag in raw and not isinstance(raw[flag], bool):
            problems.append(
                _("%(cell)s: '%(flag)s' must be true or false, not %(value)r.")
                % {"cell": name, "flag": flag, "value": raw[flag]}
            )
    return problems


def _grade_id_problems(raw: dict, meta: NbgraderMetadata, name: str) -> list[str]:
    if not meta.is_assignment_cell:
        return []
    grade_id = raw.get("grade_id")
    if not isinstance(grade_id, str) or not grade_id.strip():
        return [_("%(cell)s has no grade_id.") % {"cell": name}]
    if not GRADE_ID_PATTERN.match(grade_id):
        return [
            _("%(cell)s: a grade_id may only contain letters, digits, '_' and '-'.")
            % {"cell": name}
        ]
    return []


def _points_problems(raw: dict, meta: NbgraderMetadata, name: str) -> list[str]:
    if meta.kind not in GRADED_KINDS:
        return []
    if "points" not in raw:
        return [_("%(cell)s is graded but has no points.") % {"cell": name}]
    if meta.points is not None:
        return []
    value = raw["points"]
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return [
            _("%(cell)s: points must not be negative (%(value)r).") % {"cell": name, "value": value}
        ]
    return [_("%(cell)s: points must be a number, not %(value)r.") % {"cell": name, "value": value}]


def _cell_type_problems(cell: NotebookNode, meta: NbgraderMetadata, name: str) -> list[str]:
    """nbgrader's own rules: markdown answers are graded by hand, tasks are markdown."""
    if meta.task:
        if cell.cell_type != "markdown":
            return [_("%(cell)s is a task, and tasks must be markdown cells.") % {"cell": name}]
        return []
    if cell.cell_type == "markdown" and meta.grade != meta.solution:
        if meta.grade:
            problem = _(
                "%(cell)s is a markdown cell marked only as graded; "
                "a markdown answer must be a 'Manually graded answer'."
            )
        else:
            problem = _(
                "%(cell)s is a markdown cell marked only as an answer; "
                "a markdown answer must be a 'Manually graded answer'."
            )
        return [problem % {"cell": name}]
    return []


def _marker_role_problems(cell: NotebookNode, meta: NbgraderMetadata, name: str) -> list[str]:
    """Markers must pair up, and sit only in cells whose role makes them meaningful.

    A solution region outside an answer cell would be removed from a cell the student
    cannot edit; hidden tests outside a test cell would never be restored for grading.
    """
    broken = markers.marker_problems(cell.source)
    if broken:
        return [
            _("%(cell)s: %(problem)s.") % {"cell": name, "problem": problem} for problem in broken
        ]
    problems = []
    if markers.has_solution_region(cell.source) and not meta.solution:
        problems.append(
            _("%(cell)s has a solution region but is not an answer cell.") % {"cell": name}
        )
    if markers.has_hidden_tests(cell.source) and meta.kind is not CellKind.TEST:
        problems.append(
            _("%(cell)s has hidden tests but is not an autograder test cell.") % {"cell": name}
        )
    return problems


def _duplicate_id_problems(nb: NotebookNode) -> list[str]:
    numbers_by_id: dict[str, list[int]] = {}
    for number, cell in enumerate(nb.cells, start=1):
        meta = nbgrader_metadata(cell)
        if meta.is_assignment_cell and meta.grade_id:
            numbers_by_id.setdefault(meta.grade_id, []).append(number)
    return [
        _("The grade_id '%(grade_id)s' is used by more than one cell (cells %(cells)s).")
        % {"grade_id": grade_id, "cells": ", ".join(map(str, numbers))}
        for grade_id, numbers in numbers_by_id.items()
        if len(numbers) > 1
    ]
