"""What grading a notebook produced, in the shape the platform stores and shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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

    @property
    def needs_manual(self) -> bool:
        return any(cell.status == "needs_manual" for cell in self.cells)

    def to_dict(self) -> dict[str, Any]:
        """The stored result: exactly ``total``, ``max_total`` and ``cells``."""
        return {
            "total": self.total,
            "max_total": self.max_total,
            "cells": [cell.to_dict() for cell in self.cells],
        }

    def diagnostics_to_dict(self) -> dict[str, Any]:
        """How the run went, kept apart from the score: repairs and an early stop."""
        return {"notes": list(self.notes), "error": self.error}
