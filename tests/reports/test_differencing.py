"""Differencing attacks on the ministry's reports: figures of differently filtered reports
subtracted, or a whole collection of filtered reports solved together, must not give away
the size of a group smaller than k.

The attacker knows everything an analyst can see: every report they can ask for, which
cohort belongs to which institution, region, kind and track (the institution reports list
the cohorts), and the disclosure-control parameters each document states (k, and the
largest perturbation, none if it states none). They do not know the students' record keys.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from fractions import Fraction

import pytest
from django.test import override_settings

from curricula.models import Competence, CompetenceFramework
from people.models import Region
from reports.document import report_document
from reports.filters import parse_filters
from reports.privacy import KEY_MODULUS
from reports.rollups import keys

from .conftest import cohort_with_students, school

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]
K = 10
TRACKS = ("school", "university", "scholarship")
KINDS = ("school", "university", "scholarship")

# (institution, its kind, its region or city, its cohorts as (track, students)). Nine cohorts
# have fewer than K students; each of them can be isolated by subtracting two figures.
COUNTRY = [
    ("University of Baku", "university", "baku", [("university", 30), ("scholarship", 4)]),
    ("Baku Lyceum", "school", "baku-city", [("school", 25)]),
    ("Baku School 7", "school", "baku", [("school", 6)]),
    ("Scholarship programme", "scholarship", "baku", [("scholarship", 18)]),
    ("Ganja University", "university", "ganja", [("university", 5)]),
    ("Ganja School 1", "school", "ganja-dashkasan", [("school", 20)]),
    ("Ganja School 2", "school", "ganja-dashkasan", [("school", 7)]),
    ("Karabakh School", "school", "karabakh", [("school", 15)]),
    ("Shusha School", "school", "shusha", [("school", 2)]),
    ("Aran School", "school", "central-aran", [("school", 13)]),
    ("Yevlakh School", "school", "yevlakh", [("school", 9)]),
    ("Lankaran School", "school", "lankaran-astara", [("school", 16)]),
    ("Astara School", "school", "lankaran-astara", [("school", 3)]),
    ("Shaki School", "school", "shaki-zagatala", [("school", 14)]),
    ("Zagatala School", "school", "shaki-zagatala", [("school", 1)]),
    ("Guba School", "school", "guba-khachmaz", [("school", 22)]),
    ("Khachmaz School", "school", "guba-khachmaz", [("school", 8)]),
]


@dataclass(frozen=True)
class Group:
    """A cohort as the attacker knows it (and its true size, which the test knows)."""

    code: str
    institution: str
    region: str  # the top-level region (a city's region)
    kind: str
    track: str
    size: int


@pytest.fixture
def seeded_keys(monkeypatch):
    """Record keys drawn from a seeded generator, so the noise (and the test) is the same
    on every run; the attacker does not know them either way."""
    rng = random.Random(20261204)
    monkeypatch.setattr(keys, "new_record_key", lambda: rng.randrange(KEY_MODULUS))


def build(spec) -> list[Group]:
    groups = []
    for name, kind, place, cohorts in spec:
        region = Region.objects.get(code=place)
        top = region.parent or region
        institution = school(region, name_en=name, kind=kind)
        for track, size in cohorts:
            cohort, _students = cohort_with_students(institution, size, track=track)
            groups.append(Group(cohort.code, institution.code, top.code, kind, track, size))
    return groups


@pytest.fixture
def country(seeded_keys) -> list[Group]:
    return build(COUNTRY)


def read(**params) -> dict:
    return report_document(parse_filters(params, user=None))


def max_noise(report: dict) -> int:
    """What the document says the largest perturbation of a count is (0: exact counts)."""
    return (report.get("perturbation") or {}).get("max_noise", 0)


def sizes_consistent_with(published: int | None, noise: int, k: int) -> set[int]:
    """The true counts a published figure can come from, by the stated rules: a null hides
    1 to k-1, a zero is a zero, and a figure of k or more is within `noise` of the truth
    and never further than the truth is above k."""
    if published is None:
        return set(range(1, k))
    if published == 0:
        return {0}
    return {n for n in range(k, published + noise + 1) if abs(published - n) <= min(noise, n - k)}


def figures(report: dict, groups: list[Group]) -> list[tuple[frozenset, int | None]]:
    """Every `enrolled` figure of a report, with the cohorts it counts."""
    filters = report["filters"]

    def inside(group: Group) -> bool:
        return (
            (not filters["kind"] or group.kind == filters["kind"])
            and (not filters["track"] or group.track == filters["track"])
            and (not filters["region"] or group.region == filters["region"])
            and (not filters["institution"] or group.institution == filters["institution"])
        )

    scope = [g for g in groups if inside(g)]
    column = {"region": "region", "institution": "institution", "cohort": "code"}
    out = [(frozenset(g.code for g in scope), report["total"]["enrolled"])]
    for table, rows in report["breakdowns"].items():
        attribute = column.get(table, table)
        for row in rows:
            members = frozenset(g.code for g in scope if getattr(g, attribute) == row["key"])
            out.append((members, row["enrolled"]))
    return out


def every_report(groups: list[Group]) -> list[dict]:
    """What the attacker's script asks for: the country, each region and each institution,
    unfiltered and filtered by kind and by track."""
    reports = []
    regions = sorted({g.region for g in groups})
    for scope in [{}, *({"region": code} for code in regions)]:
        reports.append(read(**scope))
        reports += [read(**scope, kind=kind) for kind in KINDS]
        reports += [read(**scope, track=track) for track in TRACKS]
    for code in sorted({g.institution for g in groups}):
        reports.append(read(institution=code))
        reports += [read(institution=code, track=track) for track in TRACKS]
    return reports


def solve(cells: list[tuple[frozenset, int]], unknowns: list[str]) -> dict[str, tuple]:
    """Gaussian elimination over the published figures (exact fractions): for each cohort
    whose size is a linear combination of figures, (the estimate, the combination's
    weights by figure index)."""
    index = {code: i for i, code in enumerate(unknowns)}
    rows = []  # (coefficients over cohorts, weights over figures)
    for n, (members, _value) in enumerate(cells):
        coefficients = [Fraction(0)] * len(unknowns)
        for code in members:
            coefficients[index[code]] = Fraction(1)
        rows.append((coefficients, {n: Fraction(1)}))
    basis: list[tuple[int, list, dict]] = []  # (pivot column, row, weights)
    for coefficients, weights in rows:
        coefficients, weights = list(coefficients), dict(weights)
        for pivot, b_row, b_weights in basis:
            factor = coefficients[pivot]
            if factor:
                coefficients = [a - factor * b for a, b in zip(coefficients, b_row, strict=True)]
                for n, w in b_weights.items():
                    weights[n] = weights.get(n, 0) - factor * w
        pivot = next((i for i, a in enumerate(coefficients) if a), None)
        if pivot is None:
            continue
        scale = coefficients[pivot]
        coefficients = [a / scale for a in coefficients]
        weights = {n: w / scale for n, w in weights.items()}
        for i, (p, b_row, b_weights) in enumerate(basis):
            factor = b_row[pivot]
            if factor:
                b_row = [a - factor * b for a, b in zip(b_row, coefficients, strict=True)]
                for n, w in weights.items():
                    b_weights[n] = b_weights.get(n, 0) - factor * w
                basis[i] = (p, b_row, b_weights)
        basis.append((pivot, coefficients, weights))
    solved = {}
    for pivot, coefficients, weights in basis:
        if sum(1 for a in coefficients if a) == 1:  # this row is one cohort alone
            estimate = sum(w * cells[n][1] for n, w in weights.items())
            solved[unknowns[pivot]] = (estimate, {n: w for n, w in weights.items() if w})
    return solved


def another_size_fits(
    group: Group, groups: list[Group], cells: list[tuple[frozenset, int | None]], noise: int
) -> bool:
    """Whether the published figures fit a world where `group` has another size (below k),
    with at most one other cohort's size moved to make up for it: the attacker cannot
    tell the two worlds apart."""
    size = {g.code: g.size for g in groups}

    def fits(moved: dict[str, int]) -> bool:
        for members, published in cells:
            if not moved.keys() & members:
                continue
            n = sum(size[c] + moved.get(c, 0) for c in members)
            if n not in sizes_consistent_with(published, noise, K):
                return False
        return True

    for delta in (1, -1, 2, -2, 3, -3):
        if not 1 <= group.size + delta < K:
            continue
        if fits({group.code: delta}):
            return True
        for other in groups:
            moved = {group.code: delta, other.code: -delta}
            if other != group and size[other.code] - delta >= 1 and fits(moved):
                return True
    return False


@override_settings(REPORTS_MIN_GROUP_SIZE=K)
def test_two_filtered_reports_do_not_give_away_a_small_cohort(seeded_keys):
    """The finding: `kind=university` minus `kind=university&region=baku` is Ganja
    University's one cohort of five."""
    country = build(
        [row for row in COUNTRY if row[1] == "university" or row[2] == "ganja-dashkasan"]
    )
    (ganja,) = [g for g in country if g.kind == "university" and g.size == 5]
    universities = read(kind="university")
    in_baku = read(kind="university", region="baku")
    row = next(r for r in universities["breakdowns"]["region"] if r["key"] == ganja.region)
    assert row["enrolled"] is None and row["suppressed"]
    noise = max_noise(universities)
    outside_baku = {
        a - b
        for a in sizes_consistent_with(universities["total"]["enrolled"], noise, K)
        for b in sizes_consistent_with(in_baku["total"]["enrolled"], noise, K)
        if 1 <= a - b < K
    }
    assert ganja.size in outside_baku  # the figures are honest about their noise
    assert len(outside_baku) >= 2, f"the difference gives the cohort: {outside_baku}"


@override_settings(REPORTS_MIN_GROUP_SIZE=K)
def test_solving_a_hundred_filtered_reports_recovers_no_small_cohort(country):
    """The attacker's script: every filtered report, every figure, solved together."""
    reports = every_report(country)
    assert len(reports) >= 100
    noise = max_noise(reports[0])
    cells = [cell for report in reports for cell in figures(report, country) if cell[0]]
    shown = list({members: value for members, value in cells if value is not None}.items())
    small = [g for g in country if g.size < K]
    assert len(small) == 9
    solved = solve(shown, [g.code for g in country])
    for group in small:
        estimate, weights = solved.get(group.code, (None, {}))
        if estimate is None:
            continue  # no combination of figures isolates it
        # the estimate carries the noise of every figure it combines
        uncertainty = sum(abs(w) for w in weights.values()) * noise
        assert abs(estimate - group.size) <= uncertainty
        assert uncertainty >= 1, f"{group} recovered exactly: {estimate}"
    recovered = [g for g in small if g.code in solved]
    assert recovered, "the script isolates the small cohorts (as it did before)"
    for group in small:
        assert another_size_fits(group, country, cells, noise), group
    # and the same cohorts get the same figure in every report that shows them
    published: dict[frozenset, set] = {}
    for members, value in cells:
        published.setdefault(members, set()).add(value)
    assert {m: v for m, v in published.items() if len(v) > 1} == {}


@override_settings(REPORTS_MIN_GROUP_SIZE=K)
def test_the_average_does_not_narrow_a_hidden_band(seeded_keys, record, region):
    """The finding: a competence row showed its results, its bands but the hidden one and
    its complement (a zero another report publishes) and the average to two decimals;
    together they gave the hidden band."""
    framework = CompetenceFramework.objects.get(slug="unesco-ai-students")
    competence = Competence.objects.filter(area__framework=framework).order_by("pk").first()
    _cohort, students = cohort_with_students(school(region), 14)
    for i, student in enumerate(students):
        record(student, competence, level=1 if i < 3 else 2)  # 3 at level 1, 11 at level 2
    report = read(framework=framework.slug)
    row = next(r for r in report["competences"] if r["key"] == competence.code)
    noise = max_noise(report)
    bands = {b["key"]: b["count"] for b in row["bands"]}
    assert bands["1"] is None
    results = sizes_consistent_with(row["results"], noise, K)
    # a null may hide anything, as far as the attacker knows (a complement may be a zero)
    options = [
        range(max(results) + 1) if n is None else sizes_consistent_with(n, noise, K)
        for n in bands.values()
    ]
    average = row["average_level"]
    if average is not None:
        decimals = len(repr(average).split(".")[1])
        tolerance = 0.5 * 10**-decimals + 1e-9
    hidden = set()
    for counts in itertools.product(*options):
        total = sum(counts)
        if total not in results:
            continue
        if average is not None:
            levels = sum(int(key) * n for key, n in zip(bands, counts, strict=True))
            if abs(levels / total - average) > tolerance:
                continue
        hidden.add(dict(zip(bands, counts, strict=True))["1"])
    assert 3 in hidden
    assert len(hidden) >= 2, f"the row gives the hidden band away: {hidden}"
