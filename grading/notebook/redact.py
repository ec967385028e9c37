"""Scrub hidden-test code from text that students will see.

Hidden tests run in the same kernel as the student's code, so their text can surface in
places nobody chose to show: a traceback quoting a helper defined in a hidden region,
an exception message built from ``In[-1]``, a later cell printing the input history.
Messages and feedback outputs pass through here; what they might leak of a hidden line
is replaced by a placeholder. Deliberately encoded copies cannot be caught this way,
which is why the cells that contain hidden tests show no outputs at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import markers
from .i18n import gettext as _

PLACEHOLDER = "[hidden test]"  # in English; students see it translated (`placeholder`)
MIN_LINE_CHARS = 8  # shorter lines ("pass", "x = 1") say nothing and match everywhere
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Redactor:
    """Replaces every hidden-test line found in a text."""

    lines: tuple[str, ...] = ()

    @classmethod
    def for_sources(cls, sources: Iterable[str]) -> Redactor:
        found = {
            line.strip()
            for source in sources
            for line in markers.hidden_region_lines(source)
            if len(line.strip()) >= MIN_LINE_CHARS
        }
        # Longest first, so a line containing a shorter hidden line is replaced whole.
        return cls(lines=tuple(sorted(found, key=len, reverse=True)))

    def text(self, text: str) -> str:
        if not self.lines:
            return text
        plain = _ANSI_ESCAPE.sub("", text)
        if not any(line in plain for line in self.lines):
            return text
        shown = placeholder()
        for line in self.lines:
            plain = plain.replace(line, shown)
        return plain

    def tree(self, value: Any) -> Any:
        """A copy of a JSON-like value (an output) with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.tree(item) for item in value]
        if isinstance(value, dict):
            return type(value)({key: self.tree(item) for key, item in value.items()})
        return value


def placeholder() -> str:
    """What replaces a hidden-test line, in the active language."""
    return _("[hidden test]")
