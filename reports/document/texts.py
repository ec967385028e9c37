"""What the report's files say about a document beside its figures: section titles (the
dashboard's and every file's), the note on perturbed counts, and how each cell of the PDF
reads: a figure, suppressed for privacy, or not applicable, each with its sign and its
line in the legend.

Pure functions of the (already protected) document's rows: a cell that privacy.py made
null stays without a figure, a suppressed row shows none at all, and nothing here
computes a figure from the others.
"""

from __future__ import annotations

from enum import Enum

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..charts import band_levels

SECTION_TITLES = {
    "region": lambda: _("By region"),
    "institution": lambda: _("By institution"),
    "cohort": lambda: _("By cohort"),
    "kind": lambda: _("By institution kind"),
    "track": lambda: _("By track"),
}


def noise_note(report: dict) -> str:
    return _(
        "Counts of %(k)d or more are shifted by at most %(d)d (cell-key method), the same way "
        "for the same students in every report; rows need not add up exactly to their total."
    ) % {"k": report["min_group_size"], "d": report["perturbation"]["max_noise"]}


class Mark(Enum):
    """How a cell without a figure reads."""

    SUPPRESSED = "suppressed"  # privacy: too few students behind it
    NOT_APPLICABLE = "not-applicable"  # nothing to count or average there


def mark_text(mark: Mark) -> str:
    """The short sign a table shows in place of the figure."""
    if mark is Mark.SUPPRESSED:
        # Translators: sign in a report table for a figure withheld for privacy
        # ("confidential"); keep it to a few characters.
        return pgettext("report cell", "[c]")
    # Translators: sign in a report table for a figure that does not apply; a few characters.
    return pgettext("report cell", "n/a")


def mark_meaning(mark: Mark, report: dict) -> str:
    """The legend's explanation of a sign."""
    if mark is Mark.SUPPRESSED:
        return _(
            "Suppressed: fewer than %(k)d students are behind this figure, so it is not "
            "published, to protect their privacy."
        ) % {"k": report["min_group_size"]}
    return _(
        "Not applicable: there is nothing to count or average here (no results yet, "
        "nobody enrolled, or a band outside the competence's own level)."
    )


def cell(row: dict, name: str) -> float | int | Mark:
    """The figure `name` of a row (a count, the average level or the completion rate), or
    the mark in its place. A field the row does not have (enrolment of a competence)
    does not apply; a null does, unless nothing stands behind it to count or average."""
    if name not in row:
        return Mark.NOT_APPLICABLE
    value = row[name]
    if row.get("suppressed"):  # privacy.py left no figure in it; none is shown either way
        return Mark.SUPPRESSED
    if value is not None:
        return value
    if name == "average_level" and row.get("results") == 0:
        return Mark.NOT_APPLICABLE  # no result to average
    if name == "completion_rate" and row.get("enrolled") == 0:
        return Mark.NOT_APPLICABLE  # nobody enrolled
    return Mark.SUPPRESSED


def band_cell(row: dict, key: str) -> int | Mark:
    """A row's count in band `key`, or the mark in its place. A competence tied to one
    progression level (UNESCO) has no results in the bands of other levels: those zeros
    do not apply. A hidden count stays hidden, whatever the band."""
    counts = {b["key"]: b["count"] for b in row.get("bands", [])}
    if key not in counts:
        return Mark.NOT_APPLICABLE
    count = counts[key]
    if count is None or row.get("suppressed"):
        return Mark.SUPPRESSED
    level = row.get("level")
    if count == 0 and level is not None and key != "0" and level not in band_levels(key):
        return Mark.NOT_APPLICABLE
    return count
