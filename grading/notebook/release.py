"""The student version of a source notebook (nbgrader's ``assign`` step).

Solutions become stubs, hidden tests disappear, outputs are cleared and every assignment
cell gets the checksum that later tells an untouched answer from a real one. Nothing of
the hidden tests may survive anywhere in the JSON, so cells and the notebook keep only
metadata known to be harmless: a teacher's tooling can store anything in unknown keys,
including outputs of the hidden tests.
"""

from __future__ import annotations

import re
from typing import Any

from nbformat import NotebookNode

from . import markers
from .cells import assemble, keep_id, new_cell
from .checksum import compute_checksum
from .metadata import GRADED_KINDS, NbgraderMetadata, nbgrader_metadata, parse_source

# nbformat's documented cell metadata, minus "execution" (timings of the teacher's run).
STUDENT_CELL_METADATA = frozenset(
    {"collapsed", "scrolled", "deletable", "editable", "format", "name", "tags", "jupyter"}
)
# Notebook metadata a student's Jupyter needs; saved widget state may hold test output.
STUDENT_NOTEBOOK_METADATA = frozenset({"kernelspec", "language_info", "title", "authors"})
NBGRADER_SCHEMA_VERSION = 3
_ATTACHMENT_REFERENCE = re.compile(r"attachment:([^\s)\"']+)")


def release(source_nb: NotebookNode, *, checked: bool = False) -> NotebookNode:
    """Make the notebook students receive; raises `NotebookError` for a broken source.

    `checked=True` says the caller has just checked the source with `parse_source`.
    """
    if not checked:
        parse_source(source_nb)
    return _release_checked(source_nb)


def _release_checked(source_nb: NotebookNode) -> NotebookNode:
    metadata = {
        key: value for key, value in source_nb.metadata.items() if key in STUDENT_NOTEBOOK_METADATA
    }
    return assemble([_released_cell(cell) for cell in source_nb.cells], metadata)


def released_cells(source_nb: NotebookNode) -> dict[str, NotebookNode]:
    """The student version of each assignment cell, by grade_id.

    For a source already checked (`parse_source`): the pipeline checks it once, or uses
    the plan stored when it was, before sanitizing and rendering feedback call this.
    """
    cells = {}
    for cell in _release_checked(source_nb).cells:
        meta = nbgrader_metadata(cell)
        if meta.is_assignment_cell:
            cells[meta.grade_id] = cell
    return cells


def _student_source(cell: NotebookNode) -> str:
    """What the student sees of this cell's source.

    nbgrader replaces an answer cell without solution markers by the stub altogether;
    with markers, only the marked regions, so the teacher can leave a skeleton.
    """
    source = markers.remove_hidden_tests(cell.source)
    source, had_regions = markers.replace_solution_regions(source, cell.cell_type)
    if nbgrader_metadata(cell).solution and not had_regions:
        return markers.CODE_STUB if cell.cell_type == "code" else markers.TEXT_STUB
    return source


def _released_cell(cell: NotebookNode) -> NotebookNode:
    meta = nbgrader_metadata(cell)
    source = _student_source(cell)
    metadata = {key: value for key, value in cell.metadata.items() if key in STUDENT_CELL_METADATA}
    if meta.is_assignment_cell:
        metadata.update(_protection(meta))
        metadata["nbgrader"] = _nbgrader_metadata(meta, cell.cell_type)
    released = keep_id(
        new_cell(
            cell.cell_type,
            source,
            metadata=metadata,
            attachments=_referenced_attachments(cell, source),
        ),
        cell,
    )
    if meta.is_assignment_cell:
        released.metadata.nbgrader.checksum = compute_checksum(released)
    return released


def _protection(meta: NbgraderMetadata) -> dict[str, bool]:
    """Front-end locks, as nbgrader's LockCells sets them: a courtesy, not a defence."""
    return {"deletable": False, "editable": False} if meta.is_locked else {"deletable": False}


def _nbgrader_metadata(meta: NbgraderMetadata, cell_type: str) -> dict[str, Any]:
    """Current-schema metadata with known keys only; the checksum is added last."""
    written: dict[str, Any] = {
        "schema_version": NBGRADER_SCHEMA_VERSION,
        "grade": meta.grade,
        "solution": meta.solution,
        "locked": meta.locked,
        "task": meta.task,
        "grade_id": meta.grade_id,
        "cell_type": cell_type,
    }
    if meta.kind in GRADED_KINDS:
        written["points"] = meta.points
    return written


def _referenced_attachments(cell: NotebookNode, source: str) -> dict[str, Any]:
    """Attachments the released source still shows; a removed solution's images go."""
    attachments = cell.get("attachments") or {}
    referenced = set(_ATTACHMENT_REFERENCE.findall(source))
    return {name: data for name, data in attachments.items() if name in referenced}
