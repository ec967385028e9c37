"""Small groups are suppressed, and so is whatever would let them be recovered."""

from __future__ import annotations

import pytest
from django.test import override_settings

from reports.document import report_document
from reports.filters import parse_filters
from reports.privacy import suppress_table

from .conftest import cohort_with_students, school

K = 10


def row(key, enrolled, bands=(), results=None):
    bands = [{"key": str(i), "count": n} for i, n in enumerate(bands)]
    return {
        "key": key,
        "label": key,
        "enrolled": enrolled,
        "active": 0,
        "completed": 0,
        "completion_rate": None,
        "results": sum(b["count"] for b in bands) if results is None else results,
        "average_level": 1.0,
        "bands": bands,
        "suppressed": False,
    }


def test_a_small_group_is_suppressed_and_the_next_smallest_sibling_with_it():
    rows = [row("a", 4), row("b", 25), row("c", 12), row("d", 40)]
    total = row("total", 81)
    suppress_table(rows, total, K, additive=True)
    hidden = {r["key"] for r in rows if r["suppressed"]}
    assert hidden == {"a", "c"}  # c: otherwise a = 81 - 25 - 40 - c
    assert all(
        r["enrolled"] is None and r["average_level"] is None for r in rows if r["suppressed"]
    )
    assert total["enrolled"] == 81


def test_two_small_groups_need_no_complement():
    rows = [row("a", 4), row("b", 3), row("c", 30)]
    suppress_table(rows, row("total", 37), K, additive=True)
    assert [r["suppressed"] for r in rows] == [True, True, False]


def test_a_small_cell_in_a_shown_row_takes_the_next_smallest_cell_along():
    rows = [row("a", 50, bands=(0, 3, 20, 27)), row("b", 50, bands=(0, 15, 15, 20))]
    total = row("total", 100, bands=(0, 18, 35, 47))
    suppress_table(rows, total, K, additive=True)
    a = [b["count"] for b in rows[0]["bands"]]
    b = [b["count"] for b in rows[1]["bands"]]
    # along the row: 3 hidden, so the smallest other band (the 0) too; down the column:
    # 3 hidden in band 1, so row b's band 1 too, and then row b needs a second band hidden
    assert a[1] is None and b[1] is None
    assert sum(v is None for v in a) >= 2 and sum(v is None for v in b) >= 2
    for col in range(4):
        hidden = [r["bands"][col]["count"] is None for r in rows]
        assert sum(hidden) != 1, f"band {col} recoverable from the total"


def test_the_whole_scope_below_k_shows_nothing():
    rows = [row("a", 5), row("b", 3)]
    total = row("total", 8)
    suppress_table(rows, total, K, additive=True)
    assert total["suppressed"] and all(r["suppressed"] for r in rows)


@pytest.mark.django_db
@override_settings(REPORTS_MIN_GROUP_SIZE=K)
def test_crafted_small_school_in_a_region_is_suppressed_with_a_complement(
    record, competences, region
):
    big, small, middle = school(region), school(region), school(region)
    cohort_with_students(big, 30)
    cohort_with_students(small, 3)  # identifiable
    cohort_with_students(middle, 12)
    report = report_document(parse_filters({"region": region.code}, user=None))
    rows = {r["key"]: r for r in report["breakdowns"]["institution"]}
    assert rows[small.code]["suppressed"] and rows[small.code]["enrolled"] is None
    assert rows[middle.code]["suppressed"], "complementary suppression"
    assert rows[big.code]["enrolled"] == 30
    assert report["total"]["enrolled"] == 45
    # the country view shows the region, but the small school cannot be recovered there
    country = report_document(parse_filters({}, user=None))
    baku = next(r for r in country["breakdowns"]["region"] if r["key"] == region.code)
    assert baku["enrolled"] == 45
    assert sum(r["enrolled"] or 0 for r in country["breakdowns"]["region"]) == 45


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
    assert first["results"] == 20 and first["average_level"] == 3.0
    assert second["suppressed"] and second["average_level"] is None
