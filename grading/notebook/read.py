"""Turn uploaded bytes into a notebook, or say in plain words why they are not one.

Uploads come from browsers and from teachers' disks, so everything is checked before
nbformat sees it: size first (cheap, and protects the JSON parser), then JSON, then the
notebook format version, then the nbformat schema.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode
from nbformat.v4.rwbase import rejoin_lines, strip_transient
from nbformat.validator import MissingIDFieldWarning, ValidationError, normalize

from .errors import NotebookError
from .i18n import gettext as _
from .i18n import ngettext

SUPPORTED_MAJOR = nbformat.v4.nbformat
SUPPORTED_MINOR = nbformat.v4.nbformat_minor


@dataclass(frozen=True)
class NotebookLimits:
    """Upper bounds for a notebook we accept; a classroom notebook is far below them."""

    max_bytes: int = 5 * 1024 * 1024  # size of the file as uploaded
    max_cells: int = 500  # number of cells of any type
    max_output_bytes: int = 2 * 1024 * 1024  # stored outputs, as JSON
    # arrays and objects inside each other: Jupyter writes about 6, widget state a few
    # more; deeper JSON would exhaust the stack of whatever walks it (copy, validation)
    max_depth: int = 100


def read_notebook(data: bytes | str, *, limits: NotebookLimits = NotebookLimits()) -> NotebookNode:
    """Parse and validate an uploaded notebook; raise `NotebookError` with the reason."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise NotebookError(
            _("The file is larger than %(megabytes)s MB.")
            % {"megabytes": _megabytes(limits.max_bytes)}
        )
    content = _parse_json(raw, limits)
    _check_format_version(content)
    _check_cells(content, limits)
    return _validated(content)


def _parse_json(raw: bytes, limits: NotebookLimits) -> dict:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(_("The file is not UTF-8 text, so it cannot be a notebook.")) from exc
    try:
        content = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            _("The file is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    except RecursionError:  # json recurses per level: far too deep to be a notebook
        content = None
    if content is None or _nests_deeper_than(content, limits.max_depth):
        raise NotebookError(
            ngettext(
                "The file's JSON is nested more than %(limit)d level deep; it is not a notebook.",
                "The file's JSON is nested more than %(limit)d levels deep; it is not a notebook.",
                limits.max_depth,
            )
            % {"limit": limits.max_depth}
        )
    # the version before the cells: an nbformat 3 notebook keeps them in `worksheets`
    if not isinstance(content, dict) or "nbformat" not in content:
        raise NotebookError(_("The file is JSON but not a Jupyter notebook."))
    return content


def _check_format_version(content: dict) -> None:
    major, minor = content.get("nbformat"), content.get("nbformat_minor", 0)
    if not isinstance(major, int) or not isinstance(minor, int):
        raise NotebookError(_("The file does not say which notebook format version it uses."))
    if major < SUPPORTED_MAJOR:
        raise NotebookError(
            _(
                "The notebook uses the old format version %(version)d. "
                "Open it in Jupyter and save it again to update it."
            )
            % {"version": major}
        )
    if (major, minor) > (SUPPORTED_MAJOR, SUPPORTED_MINOR):
        raise NotebookError(
            _(
                "The notebook uses format version %(version)s, which is newer than the "
                "supported version %(supported)s."
            )
            % {"version": f"{major}.{minor}", "supported": f"{SUPPORTED_MAJOR}.{SUPPORTED_MINOR}"}
        )


def _check_cells(content: dict, limits: NotebookLimits) -> None:
    cells = content.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(_("The file is JSON but not a Jupyter notebook."))
    if len(cells) > limits.max_cells:
        raise NotebookError(
            ngettext(
                "The notebook has %(count)d cell; at most %(limit)d are allowed.",
                "The notebook has %(count)d cells; at most %(limit)d are allowed.",
                len(cells),
            )
            % {"count": len(cells), "limit": limits.max_cells}
        )
    output_bytes = sum(
        len(json.dumps(cell.get("outputs", []))) for cell in cells if isinstance(cell, dict)
    )
    if output_bytes > limits.max_output_bytes:
        raise NotebookError(
            _(
                "The notebook's outputs are larger than %(megabytes)s MB. "
                "Clear all outputs and save it again."
            )
            % {"megabytes": _megabytes(limits.max_output_bytes)}
        )


def _validated(content: dict) -> NotebookNode:
    """Validate against the nbformat schema after the repairs Jupyter itself makes.

    `normalize` adds missing or duplicated cell ids, as Jupyter does when it opens such
    a file (and warns about it, which is no news here); anything else wrong is the
    uploader's to fix. Sources stored as lists of lines are joined, as nbformat's reader
    does, so every later step sees plain strings.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingIDFieldWarning)
        _changes, repaired = normalize(content)
    notebook = nbformat.from_dict(repaired)
    try:
        nbformat.validate(notebook)
    except ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path)
        # The reason is jsonschema's, in English: a technical detail for whoever fixes it.
        if where:
            problem = _(
                "The notebook does not follow the Jupyter notebook format: %(reason)s "
                "(at %(where)s)."
            ) % {"reason": exc.message, "where": where}
        else:
            problem = _("The notebook does not follow the Jupyter notebook format: %(reason)s.") % {
                "reason": exc.message
            }
        raise NotebookError(problem) from exc
    return strip_transient(rejoin_lines(notebook))


def _nests_deeper_than(value, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit` (a walk without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if depth > limit:
            return True
        stack.extend(
            (child, depth + 1) for child in (node.values() if isinstance(node, dict) else node)
        )
    return False


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"
