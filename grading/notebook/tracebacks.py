"""Where in the notebook an exception was raised, read from an IPython traceback.

IPython names the frames of notebook code by the cell's execution count and a line in
it (``Cell In[3], line 2, in square(x)``). Mapped back to the cells of the executed
notebook, those frames say which line of which cell failed; the line's text is read from
the cell's own source, not from the traceback (which the kernel renders and colours).

Only for a run whose tracebacks may be quoted to the reader (see `score`): a frame names
a line of a cell of that run, and its text is that cell's source in that run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_LINE_CHARS = 120  # a quoted line of code: enough to recognize it

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# "Cell In[12], line 3" (IPython 8 and later) at the start of a frame's first line.
_CELL_FRAME = re.compile(r"\s*Cell\s+In\s*\[(\d{1,9})\],\s*line\s+(\d{1,9})\b")
# What Python appends to a SyntaxError's message: " (3305207307.py, line 2)".
_SYNTAX_WHERE = re.compile(r"\((?:[^()]*), line (\d{1,9})\)\s*")
SYNTAX_ERRORS = frozenset({"SyntaxError", "IndentationError", "TabError"})


@dataclass(frozen=True)
class Frame:
    """One frame of a traceback that is in a cell of the notebook."""

    index: int  # the cell's position in the executed notebook
    line: int  # 1-based line in the cell's source
    code: str  # that line, stripped and shortened ("" if the cell has no such line)


def cell_frames(notebook: Any, output: Any) -> list[Frame]:
    """The frames of an error output's traceback that are in cells of `notebook`,
    outermost first. Frames in other files (libraries) and in cells that are not in the
    notebook (another execution count) are left out.

    IPython gives each frame its own entry, which begins with where it is; only that
    first line is read, so an exception's message (the last entry, the student's text)
    cannot pose as a frame.
    """
    if not isinstance(output, dict):
        return []
    traceback = output.get("traceback")
    if not isinstance(traceback, list):
        return []
    counts = _execution_counts(notebook)
    frames = []
    for entry in traceback:
        if not isinstance(entry, str):
            continue
        first = next((line for line in _ANSI.sub("", entry).splitlines() if line.strip()), "")
        match = _CELL_FRAME.match(first)
        index = counts.get(int(match.group(1))) if match else None
        line = int(match.group(2)) if match else 0
        if index is not None and line >= 1:
            frames.append(Frame(index, line, source_line(notebook, index, line)))
    return frames


def _execution_counts(notebook: Any) -> dict[int, int]:
    counts = {}
    for index, cell in enumerate(getattr(notebook, "cells", None) or []):
        count = cell.get("execution_count")
        if cell.get("cell_type") == "code" and isinstance(count, int):
            counts.setdefault(count, index)
    return counts


def source_line(notebook: Any, index: int, line: int) -> str:
    """Line `line` (from 1) of cell `index`'s source, stripped and shortened; "" if none."""
    cells = getattr(notebook, "cells", None) or []
    if not 0 <= index < len(cells) or line < 1:
        return ""
    source = cells[index].get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    lines = source.splitlines()
    if line > len(lines):
        return ""
    return shorten(lines[line - 1].strip())


def shorten(text: str, limit: int = MAX_LINE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def syntax_error_line(evalue: str) -> tuple[str, int | None]:
    """A SyntaxError's message without Python's "(file, line n)" suffix, and n."""
    start = evalue.rfind("(")
    match = _SYNTAX_WHERE.fullmatch(evalue, start) if start >= 0 else None
    if match is None:
        return evalue.strip(), None
    return evalue[:start].strip(), int(match.group(1))
