"""A long place breakdown (a region's institutions: thousands at national size) is shown a
page at a time: the next page shows the next rows, every filter stays on the links, a
suppressed row stays suppressed on whichever page it falls, and the whole table is in the
files the page offers."""

from __future__ import annotations

import html
import re

import pytest

from reports import views
from reports.builds import report_build_run
from tests.factories import PASSWORD, analyst

from .conftest import cohort_with_students, evidence_rolled_up, school

pytestmark = pytest.mark.django_db


@pytest.fixture
def baku(competences, region, monkeypatch):
    """Three schools in Baku (the third too small to be shown) and a university, rolled
    up; two rows a page."""
    monkeypatch.setattr(views, "BREAKDOWN_PAGE_ROWS", 2)
    schools = [
        school(region, name_en="Lyceum 1", code="lyceum-1"),
        school(region, name_en="School 2", code="school-2"),
        school(region, name_en="Tiny school", code="tiny-school"),
    ]
    university = school(region, name_en="University 9", code="university-9")
    groups = [
        cohort_with_students(schools[0], 14),
        cohort_with_students(schools[1], 12),
        cohort_with_students(schools[2], 3),
        cohort_with_students(university, 11, track="university"),
    ]
    evidence_rolled_up(groups, competences, "paging")
    return schools


def open_page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def institution_rows(page: str) -> list[str]:
    table = re.search(r'data-testid="breakdown-institution".*?</section>', page, re.S).group(0)
    return re.findall(r'<tr data-key="([^"]+)"', table)


def link(page: str, testid: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="\w+" data-testid="{testid}"', page)
    return html.unescape(found.group(1)) if found else None


def test_page_two_shows_the_next_rows_with_the_filters_kept(client, baku):
    client.login(username=analyst().username, password=PASSWORD)
    first = open_page(client, "/en/reports/?region=baku&track=school")
    assert institution_rows(first) == ["lyceum-1", "school-2"]
    assert "Rows 1–2 of 3." in first and "Page 1 of 2" in first
    assert link(first, "page-previous") is None
    following = link(first, "page-next")
    assert "region=baku" in following and "track=school" in following and "page=2" in following

    second = open_page(client, "/en/reports/" + following)
    # the university is another track: the filter held, so only the tiny school is left
    assert institution_rows(second) == ["tiny-school"]
    assert "Rows 3–3 of 3." in second and "Page 2 of 2" in second
    assert link(second, "page-next") is None
    back = link(second, "page-previous")
    assert "region=baku" in back and "track=school" in back and "page=" not in back
    assert institution_rows(open_page(client, "/en/reports/" + back)) == ["lyceum-1", "school-2"]
    # the report's summary is the whole region's on every page
    total = re.compile(r'data-testid="total-enrolled">([^<]*)<')
    assert total.search(first).group(1) == total.search(second).group(1)


def test_a_suppressed_row_stays_suppressed_on_its_page(client, baku):
    client.login(username=analyst().username, password=PASSWORD)
    second = open_page(client, "/en/reports/?region=baku&track=school&page=2")
    row = re.search(r'<tr data-key="tiny-school"([^>]*)>(.*?)</tr>', second).groups()
    assert 'class="suppressed"' in row[0]
    # the name, unlinked (no drill-down into a small group), and no figure at all
    assert "Tiny school" in row[1] and "href" not in row[1]
    assert re.findall(r'<td class="num">([^<]*)</td>', row[1]) == ["–"] * 9
    # the same row in the whole table is just as empty (the first page does not show it)
    first = open_page(client, "/en/reports/?region=baku&track=school")
    assert "tiny-school" not in first


@pytest.mark.parametrize(
    ("page", "reason"),
    [("3", "There is no page 3: the table has 2 pages."), ("0", "whole number"), ("x", "whole")],
)
def test_a_page_that_is_not_there_answers_400_with_the_reason(client, baku, page, reason):
    client.login(username=analyst().username, password=PASSWORD)
    body = open_page(client, f"/en/reports/?region=baku&track=school&page={page}", status=400)
    assert reason in html.unescape(body)


def test_the_whole_table_is_in_the_file_offered_on_every_page(
    client, baku, django_capture_on_commit_callbacks
):
    """The CSV download of page 2 holds every row of the table, the other pages' too, and
    the tiny school's figures stay empty there as well."""
    client.login(username=analyst().username, password=PASSWORD)
    second = open_page(client, "/en/reports/?region=baku&track=school&page=2")
    form = re.search(r'<form method="post"[^>]*>(?:(?!</form>).)*value="csv"', second, re.S)
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    assert fields["region"] == "baku" and fields["track"] == "school"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/en/reports/builds/", fields, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    report_build_run(build_id=response.json()["id"])  # what the worker does
    status = client.get(response.json()["status_url"]).json()
    text = client.get(status["download_url"]).content.decode("utf-8-sig")
    lines = {line.split(",")[2]: line for line in text.splitlines() if "," in line}
    assert {"Lyceum 1", "School 2", "Tiny school"} <= set(lines)
    assert "University 9" not in text
    # the tiny school: its key and name, no figure
    assert lines["Tiny school"].split(",")[3:] == [""] * (len(lines["Tiny school"].split(",")) - 3)


def test_a_short_table_has_no_pager(client, baku, monkeypatch):
    monkeypatch.setattr(views, "BREAKDOWN_PAGE_ROWS", 50)
    client.login(username=analyst().username, password=PASSWORD)
    page = open_page(client, "/en/reports/?region=baku")
    assert institution_rows(page) == ["lyceum-1", "school-2", "tiny-school", "university-9"]
    assert 'data-testid="pager-institution"' not in page and "Page 1 of" not in page


@pytest.mark.parametrize(
    "params",
    [{}, {"track": "school"}, {"track": "university"}, {"kind": "school"}, {"language": "az"}],
)
def test_a_page_build_holds_the_whole_reports_figures(baku, competences, params):
    """A page's build (only its rows of the institution breakdown summed one by one; the
    total, kinds and tracks from the region tables) shows exactly the figures of the whole
    report, which sums every cohort and institution: the same rows on every page, the
    same total, breakdowns, competences and trend. A school in a city of the region
    counts in both."""
    from django.utils import translation

    from people.models import Region
    from reports.document import report_document
    from reports.filters import parse_filters

    city = Region.objects.get(code="baku-city")
    evidence_rolled_up(
        [cohort_with_students(school(city, name_en="City school", code="city-school"), 13)],
        competences,
        "paging-city",
    )
    language = params.pop("language", "en")
    with translation.override(language):
        filters = parse_filters({"region": "baku", **params}, user=None)
        whole = report_document(filters)
        rows = whole["breakdowns"]["institution"]
        assert rows
        for start in range(0, len(rows) + 3, 2):
            page = report_document(filters, place_rows=slice(start, start + 2))
            held = page.pop("place_rows")
            if len(rows) <= 2:  # one page: every row
                assert held == {"breakdown": "institution", "rows": len(rows), "first": 0}
                assert page["breakdowns"]["institution"] == rows
            else:
                first = min(start, len(rows))
                assert held == {"breakdown": "institution", "rows": len(rows), "first": first}
                assert page["breakdowns"]["institution"] == rows[start : start + 2]
            for name in ("total", "competences", "trend", "filters", "bands"):
                assert page[name] == whole[name], name
            for name in ("kind", "track"):
                assert page["breakdowns"][name] == whole["breakdowns"][name], name
