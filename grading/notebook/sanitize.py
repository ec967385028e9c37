"""Repair a submission into the notebook that is executed for grading.

What counts is decided by the teacher's source, never by the submission: every cell is
matched by ``grade_id``; tests and read-only cells get the teacher's source back (tests
with their hidden part), every matched cell its type and grading metadata, and the
student keeps only the answers. A submission can be mangled in every way nbgrader users
report (#1682, #1941, #1083) and still be graded: missing cells are put back, second
copies of an id stop counting, cells the source does not know run without counting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from nbformat import NotebookNode

from .cells import assemble, keep_id, new_cell
from .i18n import gettext as _
from .metadata import nbgrader_metadata
from .release import release, released_cells


@dataclass(frozen=True)
class SanitizedNotebook:
    """The notebook to execute, where each source cell ended up, and what was repaired."""

    notebook: NotebookNode
    positions: Mapping[str, int]  # grade_id of each source assignment cell -> its index
    notes: tuple[str, ...] = ()

    def index_of(self, grade_id: str) -> int:
        """Where the source cell `grade_id` is in `notebook`; every source cell is there."""
        return self.positions[grade_id]


@dataclass
class _Repairs:
    """The cells being assembled, in order, and what was done to them."""

    cells: list[NotebookNode] = field(default_factory=list)
    grade_ids: list[str | None] = field(default_factory=list)  # None: not a source cell
    notes: list[str] = field(default_factory=list)

    def append(self, cell: NotebookNode, grade_id: str | None) -> None:
        self.cells.append(cell)
        self.grade_ids.append(grade_id)


def sanitize(source_nb: NotebookNode, submission_nb: NotebookNode) -> SanitizedNotebook:
    """Build the notebook to grade from the teacher's source and a student's submission."""
    originals = _assignment_cells(source_nb)
    released = released_cells(source_nb)
    repairs = _Repairs()
    for cell in submission_nb.cells:
        grade_id = nbgrader_metadata(cell).grade_id
        if grade_id in originals and grade_id not in repairs.grade_ids:
            restored = _restore(originals[grade_id], released[grade_id], cell, repairs.notes)
            repairs.append(restored, grade_id)
        else:
            repairs.append(_unscored(cell), None)
            if grade_id in originals:
                repairs.notes.append(
                    _("Cell '%(grade_id)s' appears more than once; only the first copy counts.")
                    % {"grade_id": grade_id}
                )
    _put_back_missing(repairs, originals, released)
    repairs.notes.extend(_kernel_note(source_nb, submission_nb))
    return SanitizedNotebook(
        notebook=assemble(repairs.cells, source_nb.metadata),
        positions=MappingProxyType(
            {grade_id: index for index, grade_id in enumerate(repairs.grade_ids) if grade_id}
        ),
        notes=tuple(repairs.notes),
    )


def sanitize_student_version(
    source_nb: NotebookNode, submission_nb: NotebookNode
) -> SanitizedNotebook:
    """The submission as the student version runs it: the cells `sanitize` gives, in the
    same places, with the read-only cells and tests as released, so not a line of
    hidden-test source (nor anything else `release` leaves out) is in it.

    For a source already checked (`parse_source`), like `sanitize`.
    """
    return sanitize(release(source_nb, checked=True), submission_nb)


def _assignment_cells(source_nb: NotebookNode) -> dict[str, NotebookNode]:
    cells = {}
    for cell in source_nb.cells:
        meta = nbgrader_metadata(cell)
        if meta.is_assignment_cell:
            cells[meta.grade_id] = cell
    return cells


def _restore(
    original: NotebookNode, released: NotebookNode, submitted: NotebookNode, notes: list[str]
) -> NotebookNode:
    """The submitted cell with what the student may not change taken from the source."""
    grade_id = nbgrader_metadata(original).grade_id
    locked = nbgrader_metadata(original).is_locked
    if locked and submitted.source != released.source:
        notes.append(
            _("Cell '%(grade_id)s' had been changed; the original was restored.")
            % {"grade_id": grade_id}
        )
    if submitted.cell_type != original.cell_type:
        notes.append(
            _(
                "Cell '%(grade_id)s' had been changed from %(original)s to %(submitted)s; "
                "it was changed back."
            )
            % {
                "grade_id": grade_id,
                "original": original.cell_type,
                "submitted": submitted.cell_type,
            }
        )
    if _grading_settings(submitted) != _grading_settings(released):
        notes.append(
            _(
                "The grading settings of cell '%(grade_id)s' had been changed; "
                "the exercise's settings were used."
            )
            % {"grade_id": grade_id}
        )
    shown = released if locked else submitted
    restored = new_cell(
        original.cell_type,
        original.source if locked else submitted.source,
        metadata=released.metadata,
        attachments=shown.get("attachments"),
    )
    return keep_id(restored, submitted)


def _grading_settings(cell: NotebookNode) -> tuple:
    meta = nbgrader_metadata(cell)
    return meta.grade, meta.solution, meta.locked, meta.task, meta.points


def _unscored(cell: NotebookNode) -> NotebookNode:
    """A cell run for its effects only: no role, no outputs a student could fake."""
    metadata = {key: value for key, value in cell.metadata.items() if key != "nbgrader"}
    return keep_id(
        new_cell(
            cell.cell_type, cell.source, metadata=metadata, attachments=cell.get("attachments")
        ),
        cell,
    )


def _put_back_missing(
    repairs: _Repairs, originals: dict[str, NotebookNode], released: dict[str, NotebookNode]
) -> None:
    """Insert each missing source cell right after the source cell that precedes it.

    Without a preceding one it goes before the first source cell the submission kept,
    or at the end when there is none, after whatever the student wrote. Tests come back
    with their hidden part, answers as the stub the student was given.
    """
    order = list(originals)
    for position, grade_id in enumerate(order):
        if grade_id in repairs.grade_ids:
            continue
        original = originals[grade_id]
        locked = nbgrader_metadata(original).is_locked
        cell = new_cell(
            original.cell_type,
            original.source if locked else released[grade_id].source,
            metadata=released[grade_id].metadata,
            attachments=released[grade_id].get("attachments"),
        )
        index = _insertion_index(repairs.grade_ids, set(order[:position]))
        repairs.cells.insert(index, keep_id(cell, original))
        repairs.grade_ids.insert(index, grade_id)
        repairs.notes.append(
            _("Cell '%(grade_id)s' was missing; it was put back as handed out.")
            % {"grade_id": grade_id}
        )


def _insertion_index(grade_ids: list[str | None], earlier: set[str]) -> int:
    preceding = [index for index, grade_id in enumerate(grade_ids) if grade_id in earlier]
    if preceding:
        return preceding[-1] + 1
    following = [index for index, grade_id in enumerate(grade_ids) if grade_id]
    return following[0] if following else len(grade_ids)


def _kernel_note(source_nb: NotebookNode, submission_nb: NotebookNode) -> list[str]:
    if submission_nb.metadata.get("kernelspec") == source_nb.metadata.get("kernelspec"):
        return []
    return [_("The notebook's kernel had been changed; the exercise's kernel was used.")]
