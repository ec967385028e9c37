"""nbgrader's cell checksum, byte for byte, so its student versions keep working.

nbgrader stores this MD5 in every assignment cell of the student version
(``utils.compute_checksum``); grading compares it with the submitted cell to tell an
answer the student never touched (scored 0 without a human) from a real one.
"""

from __future__ import annotations

import hashlib

from nbformat import NotebookNode

from .metadata import nbgrader_metadata


def compute_checksum(cell: NotebookNode) -> str:
    """MD5 over source, cell type, the grade/solution/locked flags, grade_id and points.

    The flags are hashed as Python spells booleans ("True"/"False") and points as a
    float ("2.0"), exactly as nbgrader does, or no existing checksum would match.
    """
    meta = nbgrader_metadata(cell)
    digest = hashlib.md5(usedforsecurity=False)
    for part in (
        cell.source,
        cell.cell_type,
        str(meta.grade),
        str(meta.solution),
        str(meta.is_locked),
        meta.grade_id,
    ):
        digest.update(part.encode("utf-8"))
    if meta.grade:
        digest.update(str(float(meta.points or 0.0)).encode("utf-8"))
    return digest.hexdigest()


def is_unchanged(cell: NotebookNode) -> bool:
    """Whether the cell still matches the checksum recorded when it was released."""
    recorded = nbgrader_metadata(cell).checksum
    return bool(recorded) and recorded == compute_checksum(cell)
