"""Building blocks shared by the steps that assemble new notebooks from old cells."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_notebook
from nbformat.v4.nbbase import random_cell_id

_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # nbformat 4.5's rule for cell ids


def new_cell(
    cell_type: str,
    source: str,
    *,
    metadata: Mapping[str, Any] | None = None,
    attachments: Mapping[str, Any] | None = None,
) -> NotebookNode:
    """A fresh cell of the given type: no outputs, no execution count, a new id.

    Built as nbformat's ``new_*_cell`` build it, without their schema check of each cell
    (most of the CPU of releasing a notebook, which grading does for every submission):
    the parts come from a notebook checked when it was stored, and what is assembled from
    them is a current-format cell by construction (tests/grading/notebook/test_release.py
    validates the whole notebook)."""
    if cell_type not in ("code", "markdown", "raw"):
        raise ValueError(f"unknown cell type {cell_type!r}")
    cell = NotebookNode(
        id=random_cell_id(),
        cell_type=cell_type,
        metadata=nbformat.from_dict(copy.deepcopy(dict(metadata or {}))),
        source=source,
    )
    if cell_type == "code":
        cell.execution_count = None
        cell.outputs = []
    if attachments and cell_type != "code":
        cell.attachments = nbformat.from_dict(copy.deepcopy(dict(attachments)))
    return cell


def assemble(cells: list[NotebookNode], metadata: Mapping[str, Any]) -> NotebookNode:
    """A current-format (4.5) notebook of these cells, each with a unique id.

    Cells come from notebooks of different minor versions (4.4 has no ids) and the same
    cell may be met twice (a student's copy of a test), so ids are made unique here.
    """
    seen: set[str] = set()
    for cell in cells:
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.match(cell_id) or cell_id in seen:
            cell_id = _fresh_id(seen)
            cell.id = cell_id
        seen.add(cell_id)
    return new_notebook(cells=cells, metadata=nbformat.from_dict(copy.deepcopy(dict(metadata))))


def _fresh_id(taken: set[str]) -> str:
    while (cell_id := random_cell_id()) in taken:
        pass
    return cell_id


def keep_id(cell: NotebookNode, original: NotebookNode) -> NotebookNode:
    """Give `cell` the id of `original`, so front ends keep their place in the notebook."""
    if isinstance(original.get("id"), str):
        cell.id = original.id
    return cell
