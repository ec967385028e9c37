"""Disclosure control (reports/privacy.py): small groups are suppressed, every other count
is perturbed by the cell-key method, averages and rates give nothing more away."""

from __future__ import annotations

import random

import pytest
from django.test import override_settings

from reports.document import report_document
from reports.filters import parse_filters
from reports.privacy import (
    KEY_MODULUS,
    MAX_NOISE,
    NOISE_VARIANCE,
    Cell,
    noise,
    noise_distribution,
    protect_row,
    publish,
)

from .conftest import cohort_with_students, published, school

K = 10


def row(enrolled, bands=(), average=1.0, completed=0, key=7):
    """A table row before protection: its counts as cells (`key`: their key sum)."""
    return {
        "key": "a",
        "label": "a",
        "enrolled": Cell(enrolled, key),
        "active": Cell(0, 0),
        "completed": Cell(completed, key + 1),
        "results": Cell(sum(bands), key + 2),
        "average_level": average,
        "completion_rate": None,
        "bands": [{"key": str(i), "count": Cell(n, key + 3 + i)} for i, n in enumerate(bands)],
        "suppressed": False,
    }


def test_the_perturbation_table_is_as_documented():
    """D = 4, variance 1.61, every row unbiased, and the cell keys spread over its noise
    with the stated probabilities."""
    assert (MAX_NOISE, NOISE_VARIANCE) == (4, 1.61)
    for n in range(K, K + 3 * MAX_NOISE):
        row = noise_distribution(n, K)
        assert sum(p for _e, p in row) == pytest.approx(1)
        assert sum(e * p for e, p in row) == pytest.approx(0)
        assert max(abs(e) for e, _p in row) == min(MAX_NOISE, n - K)
        if n - K >= MAX_NOISE:
            assert sum(e * e * p for e, p in row) == pytest.approx(NOISE_VARIANCE)
        counts: dict[int, int] = {}
        for cell_key in range(KEY_MODULUS):
            e = noise(n, cell_key, K)
            counts[e] = counts.get(e, 0) + 1
        for e, p in row:
            assert counts[e] / KEY_MODULUS == pytest.approx(p, abs=1e-4)


def test_zeros_stay_zero_small_counts_are_hidden_and_no_count_lands_below_k():
    rng = random.Random(1)
    for _ in range(2000):
        key = rng.randrange(10 * KEY_MODULUS)
        assert publish(Cell(0, key), K) == 0
        assert publish(Cell(rng.randrange(1, K), key), K) is None
        n = rng.randrange(K, 400)
        shown = publish(Cell(n, key), K)
        assert shown >= K and abs(shown - n) <= min(MAX_NOISE, n - K)
    assert publish(Cell(K, 12345), K) == K  # a count of k is never moved below it


def test_the_same_people_give_the_same_noise():
    """The noise is a function of the count and the cell key (the key sum modulo
    KEY_MODULUS), nothing else: no clock, no filter, no random draw."""
    rng = random.Random(2)
    for _ in range(500):
        n, key = rng.randrange(K, 500), rng.randrange(KEY_MODULUS)
        assert publish(Cell(n, key), K) == publish(Cell(n, key + 3 * KEY_MODULUS), K)


def test_the_difference_of_two_figures_is_the_group_plus_noise():
    """X = P and Y = P plus a group of 5: over many draws of the students' keys, Y - X is
    5 in only about a quarter of the draws, spread over -2D..+2D around it otherwise, and
    nothing tells the attacker which draw they are in."""
    rng = random.Random(3)
    differences = []
    for _ in range(4000):
        people = [rng.randrange(KEY_MODULUS) for _ in range(200)]
        group = [rng.randrange(KEY_MODULUS) for _ in range(5)]
        x = publish(Cell(len(people), sum(people)), K)
        y = publish(Cell(len(people) + 5, sum(people) + sum(group)), K)
        differences.append(y - x)
    exact = differences.count(5) / len(differences)
    assert 0.18 < exact < 0.32
    assert set(differences) >= set(range(5 - 4, 5 + 5))
    assert sum(differences) / len(differences) == pytest.approx(5, abs=0.15)


def test_a_group_smaller_than_k_is_suppressed_whole():
    small = row(4, bands=(0, 30, 10))  # 4 students with 40 results: still 4 students
    protect_row(small, K)
    assert small["suppressed"]
    assert [small[f] for f in ("enrolled", "active", "completed", "results")] == [None] * 4
    assert small["average_level"] is None and small["completion_rate"] is None
    assert all(b["count"] is None for b in small["bands"])


def test_the_average_is_rounded_and_never_stands_beside_a_hidden_band():
    shown = row(40, bands=(0, 20, 25), average=1.5555)
    protect_row(shown, K)
    assert shown["average_level"] == 1.6
    assert shown["bands"][0]["count"] == 0  # a zero is a zero
    beside = row(40, bands=(3, 20, 25), average=1.4468)
    protect_row(beside, K)
    assert beside["bands"][0]["count"] is None and beside["average_level"] is None
    assert beside["results"] is not None


def test_the_completion_rate_is_computed_from_the_published_counts():
    done = row(40, completed=30)
    protect_row(done, K)
    assert done["completion_rate"] == round(done["completed"] / done["enrolled"], 3)
    few = row(40, completed=4)
    protect_row(few, K)
    assert few["completed"] is None and few["completion_rate"] is None
    none = row(40, completed=0)
    protect_row(none, K)
    assert none["completed"] == 0 and none["completion_rate"] == 0.0


@pytest.mark.django_db
@override_settings(REPORTS_MIN_GROUP_SIZE=K)
def test_a_small_school_in_a_region_is_suppressed_and_every_figure_is_its_own_cell(
    record, competences, region
):
    big, small, middle = school(region), school(region), school(region)
    _c, big_students = cohort_with_students(big, 30)
    _c, small_students = cohort_with_students(small, 3)  # identifiable
    _c, middle_students = cohort_with_students(middle, 12)
    everyone = big_students + small_students + middle_students
    report = report_document(parse_filters({"region": region.code}, user=None))
    rows = {r["key"]: r for r in report["breakdowns"]["institution"]}
    assert rows[small.code]["suppressed"] and rows[small.code]["enrolled"] is None
    assert rows[big.code]["enrolled"] == published(big_students)
    assert rows[middle.code]["enrolled"] == published(middle_students)
    assert not rows[middle.code]["suppressed"]  # no complementary suppression
    assert report["total"]["enrolled"] == published(everyone)
    # the region as a row of the country's report: the same people, the same figure
    country = report_document(parse_filters({}, user=None))
    baku = next(r for r in country["breakdowns"]["region"] if r["key"] == region.code)
    assert baku == {**report["total"], "key": baku["key"], "label": baku["label"]}


@pytest.mark.django_db
@override_settings(REPORTS_MIN_GROUP_SIZE=K)
def test_a_competence_assessed_for_few_students_is_suppressed(record, competences, region):
    _cohort, students = cohort_with_students(school(region), 20)
    for s in students:
        record(s, competences[0], level=3)
    for s in students[:4]:
        record(s, competences[1], level=6)
    report = report_document(parse_filters({}, user=None))
    by_code = {c["key"]: c for c in report["competences"]}
    first, second = by_code[competences[0].code], by_code[competences[1].code]
    assert first["results"] == published(students) and first["average_level"] == 3.0
    assert second["suppressed"] and second["average_level"] is None
    # the total and the trend's last month count the same results: the same figures, and
    # neither shows an average beside the total's hidden band (4 results at 5-6)
    total, last = report["total"], report["trend"][-1]
    assert total["results"] == last["results"] == published(students + students[:4])
    assert total["bands"][3]["count"] is None
    assert total["average_level"] is None and last["average_level"] is None
