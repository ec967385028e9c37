"""Disclosure control: what a report may show of small groups, and the noise that keeps
differences of reports from showing them. Pure functions over the report document's rows
(plain dicts); no database, no Django.

The method is the cell-key method of national statistics offices (the Australian Bureau of
Statistics' TableBuilder, the ONS for the 2021 census, Eurostat's census recommendations):

- every student has a secret *record key*, drawn at random once, an integer from 0 to
  KEY_MODULUS - 1 (reports.models.RecordKey; never shown, exported or changed);
- every count a report shows is a `Cell`: how many, and the sum of the record keys of
  those it counts, summed in the database alongside the count (the roll-up tables carry
  the sums); the *cell key* is that sum modulo KEY_MODULUS;
- the perturbation table (`noise`) gives, for the count and its cell key, a small
  deterministic noise: the same people always have the same cell key, so they get the same
  figure in every report, page, file and delivery, and two figures that differ by a few
  people get unrelated noise, so their difference is the few people plus noise.

Rules (k = settings.REPORTS_MIN_GROUP_SIZE, passed in):
- a row describing fewer than k students (its enrolment; its results where it has no
  enrolment) is suppressed whole;
- a count from 1 to k-1 is suppressed (null); zero is published as 0;
- a count n of k or more is published as n + e, with |e| <= min(MAX_NOISE, n - k): never
  below k, never more than MAX_NOISE away, zero on average (NOISE_VARIANCE);
- no complementary suppression: each total is a cell of its own (its own people, its own
  key), so rows need not add up to it exactly, and a total minus its shown rows gives a
  hidden row plus the noise of all of them;
- the average level is computed from the true levels, rounded to one decimal, and shown
  only where the row's results and every one of its bands are shown (it never stands
  beside a hidden cell); the completion rate is computed from the published counts.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import NamedTuple

KEY_MODULUS = 1 << 16  # record keys are 0..65535; a cell key is their sum modulo this
MAX_NOISE = 4  # D: the largest change of a published count
# The perturbation table's row for counts of k + MAX_NOISE and more: the weight of a noise
# of -d and of +d, in thousandths, by d (the weight of 0 first). Nearer to k the row is cut
# to |e| <= n - k and the remaining weights scaled up; every row is symmetric, so unbiased.
NOISE_WEIGHTS = (360, 220, 70, 25, 5)
NOISE_VARIANCE = 2 * sum(d * d * w for d, w in enumerate(NOISE_WEIGHTS)) / 1000  # 1.61
AVERAGE_DECIMALS = 1

COUNT_FIELDS = ("enrolled", "active", "completed", "results")


class Cell(NamedTuple):
    """A count before disclosure control: how many, and who (the sum of their keys)."""

    n: int = 0  # students, or competence results
    key: int = 0  # the sum of the record keys of those counted (one per result)


ZERO = Cell()


def _rows() -> list[list[tuple[int, int]]]:
    """The perturbation table's rows by half-width d: (noise, weight) from -d to +d."""
    return [[(e, NOISE_WEIGHTS[abs(e)]) for e in range(-d, d + 1)] for d in range(MAX_NOISE + 1)]


PTABLE = _rows()


def _cutoffs(row: list[tuple[int, int]]) -> list[int]:
    """The cell keys where each noise of `row` ends: a cell key c gets the first noise whose
    cumulative weight w exceeds c * total // KEY_MODULUS, that is c < ceil(w * KEY_MODULUS
    / total)."""
    total = sum(w for _e, w in row)
    cumulative, out = 0, []
    for _e, weight in row:
        cumulative += weight
        out.append(-(-cumulative * KEY_MODULUS // total))
    return out


CUTOFFS = [_cutoffs(row) for row in PTABLE]


def noise_distribution(n: int, k: int) -> list[tuple[int, float]]:
    """The perturbation table's row for a count `n` of k or more: (noise, probability)."""
    row = PTABLE[min(MAX_NOISE, n - k)]
    total = sum(w for _e, w in row)
    return [(e, w / total) for e, w in row]


def noise(n: int, cell_key: int, k: int) -> int:
    """The noise the perturbation table gives a count `n` (k or more) with `cell_key`: the
    cell key, as a fraction of KEY_MODULUS, picks the noise whose cumulative weight covers it."""
    d = min(MAX_NOISE, n - k)
    return PTABLE[d][bisect_right(CUTOFFS[d], cell_key % KEY_MODULUS)][0]


def publish(cell: Cell, k: int) -> int | None:
    """The count a report shows for `cell`: 0 for nobody, null from 1 to k-1, perturbed
    from k on (never below k)."""
    if cell.n <= 0:
        return 0
    if cell.n < k:
        return None
    return cell.n + noise(cell.n, cell.key, k)


def _round_half_up(value: float, decimals: int) -> float:
    scale = 10**decimals
    return math.floor(value * scale + 0.5) / scale


def _suppress_row(row: dict) -> None:
    row["suppressed"] = True
    for name in (*COUNT_FIELDS, "completion_rate", "average_level"):
        if name in row:
            row[name] = None
    for band in row["bands"]:
        band["count"] = None


def protect_row(row: dict, k: int) -> None:
    """Turn a row's cells into the figures it may show, in place. The row holds `Cell`s
    for its counts and bands and the true average level (a float, or None); afterwards it
    holds published counts (or None), the rounded average and the completion rate."""
    size = row["enrolled"] if "enrolled" in row else row["results"]
    if 0 < size.n < k:
        _suppress_row(row)
        return
    for name in COUNT_FIELDS:
        if name in row:
            row[name] = publish(row[name], k)
    for band in row["bands"]:
        band["count"] = publish(band["count"], k)
    average = row["average_level"]
    every_cell_shown = row["results"] and all(b["count"] is not None for b in row["bands"])
    row["average_level"] = (
        _round_half_up(average, AVERAGE_DECIMALS)
        if every_cell_shown and average is not None
        else None
    )
    if "completion_rate" in row:
        enrolled, completed = row["enrolled"], row["completed"]
        row["completion_rate"] = (
            min(1.0, round(completed / enrolled, 3)) if enrolled and completed is not None else None
        )


def protect_table(rows: list[dict], k: int) -> None:
    """protect_row for every row of a table (each row, and each total, is its own cell)."""
    for row in rows:
        protect_row(row, k)
