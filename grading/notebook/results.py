"""What grading a notebook produced, in the shape the platform stores and shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .i18n import gettext as _
from .tracebacks import SYNTAX_ERRORS

CellStatus = Literal["passed", "failed", "needs_manual"]


@dataclass(frozen=True)
class CellResult:
    """The outcome of one graded cell of the source."""

    grade_id: str
    score: float | None  # None until a person grades it
    max_score: float
    status: CellStatus
    message: str = ""  # for the student: names the test, never shows hidden test code

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade_id": self.grade_id,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "message": self.message,
        }


@dataclass(frozen=True)
class FirstFailure:
    """The first cell that failed (other than a test): often what makes the tests after
    it fail (a missing module, a missing data file, a killed kernel, a syntax error), so
    it is named before the NameErrors it causes. Quoted from the run that explains the
    result (`score`), never from one that had hidden tests in it."""

    index: int  # position of the cell in the executed notebook
    name: str  # its grade_id, or the first line of its source
    ename: str  # the exception's class name ("" for a grader's own reason)
    detail: str  # "ModuleNotFoundError: No module named 'sklearn'", or why it stopped
    grade_id: str = ""  # the cell's grade_id, "" for a cell the source does not know
    own_code: bool = False  # a cell the student may edit (an answer, a cell they added)
    line: int | None = None  # for a syntax error: its line in the cell, from 1
    message: str = ""  # for a syntax error: what is wrong ("invalid syntax")

    @property
    def number(self) -> int:
        """The cell's place counted from 1, as a reader counts cells from the top."""
        return self.index + 1

    @property
    def is_syntax_error(self) -> bool:
        """Whether the student's own code does not compile (said as such, with its line)."""
        return self.own_code and self.ename in SYNTAX_ERRORS

    def sentence(self) -> str:
        """ "Cell 2 (imports) failed first: ModuleNotFoundError: No module named 'x'", or
        for the student's code that does not compile, "Your code in cell 'answer' has a
        syntax error on line 2: invalid syntax"."""
        if self.is_syntax_error:
            return self._syntax_sentence()
        return _("Cell %(number)d (%(name)s) failed first: %(detail)s") % {
            "number": self.number,
            "name": self.name,
            "detail": self.detail,
        }

    def _syntax_sentence(self) -> str:
        values = {
            "name": self.grade_id,
            "number": self.number,
            "line": self.line or 0,
            "message": self.message or self.ename,
        }
        if self.grade_id and self.line:
            text = _(
                "Your code in cell '%(name)s' has a syntax error on line %(line)d: %(message)s"
            )
        elif self.grade_id:
            text = _("Your code in cell '%(name)s' has a syntax error: %(message)s")
        elif self.line:
            text = _(
                "Your code in cell %(number)d has a syntax error on line %(line)d: %(message)s"
            )
        else:
            text = _("Your code in cell %(number)d has a syntax error: %(message)s")
        return text % values


@dataclass(frozen=True)
class NotebookResult:
    """The outcome of one submission: per-cell results in source order, and totals.

    `max_total` counts the source's graded cells only, so cells a student adds or
    copies can never raise it; `total` counts the scores known so far.
    """

    total: float
    max_total: float
    cells: tuple[CellResult, ...]
    notes: tuple[str, ...] = ()  # what was repaired in the submission before grading
    error: str = ""  # why execution stopped early, or ""
    first_failure: FirstFailure | None = None  # the first non-test cell that failed

    @property
    def needs_manual(self) -> bool:
        return any(cell.status == "needs_manual" for cell in self.cells)

    @property
    def root_cause(self) -> str:
        """The sentence naming the cell that failed first, when it may explain something:
        a test failed or execution stopped early; "" otherwise (a scratch cell failing
        after every test passed is no news)."""
        first = self.first_failure
        failed = any(cell.status == "failed" for cell in self.cells)
        return first.sentence() if first is not None and (failed or self.error) else ""

    def to_dict(self) -> dict[str, Any]:
        """The stored result: exactly ``total``, ``max_total`` and ``cells``."""
        return {
            "total": self.total,
            "max_total": self.max_total,
            "cells": [cell.to_dict() for cell in self.cells],
        }

    def diagnostics_to_dict(self) -> dict[str, Any]:
        """How the run went, kept apart from the score: repairs, an early stop, and the
        first cell that failed."""
        first = self.first_failure.sentence() if self.first_failure else ""
        return {"notes": list(self.notes), "error": self.error, "first_failure": first}
