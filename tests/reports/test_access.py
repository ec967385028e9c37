"""Who sees which report, what a ministry role can reach (never a student), the audit log,
bad filters, and the OpenAPI description."""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from courses.models import CourseProgress
from evidence.models import CompetenceEvidence
from reports import exports
from reports.builds import report_build_run
from reports.document import report_document
from reports.filters import parse_filters
from reports.models import ReportAccessLog, ReportBuild
from reports.rollups import completion_refresh, mastery_rebuild
from tests.factories import PASSWORD, admin_of, analyst, teacher_of

from .conftest import cohort_with_students, months_ago, published, school

pytestmark = pytest.mark.django_db
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "reports" / "schema" / "report-v1.json").read_text()
)
SECRET_NAMES = ("Secretname", "Pupil")
# a region's dashboard drawn from the roll-ups: session, user, levels, the cube's sums,
# the region tables' enrolment, completions and activity, the trend's activity, the
# institutions in order, the shown institutions' cohorts and level sums, competences,
# audit row
COLD_REGION_PAGE = 13


@pytest.fixture
def country(competences, region):
    """Two schools in Baku and one elsewhere, students with evidence over months (loaded in
    bulk and rolled up from scratch, as `rebuild_mastery` does)."""
    from people.models import Region

    a, b = school(region, name_en="Lyceum 1"), school(region, name_en="School 2")
    far = school(Region.objects.get(code="karabakh"), name_en="School 3")
    groups = [
        cohort_with_students(a, 14),
        cohort_with_students(b, 12),
        cohort_with_students(far, 11, track="university"),
    ]
    CompetenceEvidence.objects.bulk_create(
        CompetenceEvidence(
            student=s,
            competence=c,
            level=1 + (i + j + n) % 4,  # two bands of at least k results each
            score=1.0,
            source="quiz",
            source_key=f"quiz:country:{j}",
            recorded_at=months_ago(i % 3),
        )
        for n, (_cohort, students) in enumerate(groups)
        for i, s in enumerate(students)
        for j, c in enumerate(competences[:4])
    )
    mastery_rebuild()
    return {"schools": (a, b, far), "groups": groups}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def assert_no_student(text: str, students) -> None:
    for name in SECRET_NAMES:
        assert name not in text
    for s in students:
        assert not re.search(rf"\b{re.escape(s.username)}\b", text), s.username


def all_students(country):
    return [s for _c, group in country["groups"] for s in group]


def test_the_report_validates_against_the_published_schema(country):
    report = report_document(parse_filters({}, user=None))
    jsonschema.validate(report, SCHEMA)
    students = all_students(country)
    assert report["total"]["enrolled"] == published(students)
    assert report["trend"][-1]["results"] == published(students * 4)  # 4 competences each
    for fmt_filters in ({"region": "baku"}, {"institution": country["schools"][0].code}):
        jsonschema.validate(report_document(parse_filters(fmt_filters, user=None)), SCHEMA)
    # and what is delivered is the same document
    jsonschema.validate(json.loads(exports.render(report, "json")), SCHEMA)


def test_analyst_dashboard_drills_down_without_any_student(
    client, country, django_assert_num_queries
):
    login(client, analyst())
    response = client.get("/en/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="chart-competences"' in html and "<svg" in html
    assert "?period=" in html and "region=baku" in html
    assert_no_student(html, all_students(country))
    # the number of queries does not depend on how many students there are (a region's
    # page drawn afresh; a warm one: tests/reports/test_dashboard_cache.py)
    with django_assert_num_queries(COLD_REGION_PAGE):
        client.get("/en/reports/?region=baku")
    school_code = country["schools"][0].code
    html = client.get(f"/en/reports/?institution={school_code}").content.decode()
    assert "Lyceum 1" in html
    assert_no_student(html, all_students(country))
    assert ReportAccessLog.objects.filter(channel="page").count() == 3


def test_dashboard_query_count_stays_flat_with_more_students(
    client, country, record, competences, region, django_assert_num_queries
):
    cohort_with_students(school(region), 15)
    login(client, analyst())
    client.get("/en/reports/")  # the reader's roles and the filters' reference rows
    with django_assert_num_queries(COLD_REGION_PAGE):
        client.get("/en/reports/?region=baku")


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("colour=red", "Unknown filter"),
        ("period=2999-01", "future"),
        ("period=2026-13", "YYYY-MM"),
        ("framework=no-such-framework", "no competence framework"),
        ("region=atlantis", "no region"),
        ("track=kindergarten", "Unknown track"),
        ("kind=ministry", "Unknown institution kind"),
    ],
)
def test_bad_filters_answer_400_with_the_reason(client, query, reason):
    user = analyst()
    token = Token.objects.create(user=user)
    response = client.get(f"/api/v1/reports/?{query}", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 400
    assert reason.lower() in response.json()["detail"].lower()
    login(client, user)
    page = client.get(f"/en/reports/?{query}")
    assert page.status_code == 400
    assert reason.lower() in page.content.decode().lower()


def test_api_with_a_token_gives_the_same_aggregates(client, country):
    user = analyst()
    token = Token.objects.create(user=user)
    response = client.get("/api/v1/reports/?region=baku", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, SCHEMA)
    in_baku = [s for _c, group in country["groups"][:2] for s in group]
    assert body["scope"] == "region" and body["total"]["enrolled"] == published(in_baku)
    assert_no_student(response.content.decode(), all_students(country))
    log = ReportAccessLog.objects.get(channel="api")
    assert log.user == user and log.filters["region"] == "baku"


def test_only_analysts_and_institution_admins_get_reports(client, country):
    cohort, students = country["groups"][0]
    for user in (students[0], teacher_of(cohort)):
        token = Token.objects.create(user=user)
        assert (
            client.get("/api/v1/reports/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code
            == 403
        )
        login(client, user)
        assert client.get("/en/reports/").status_code == 403
    assert client.get("/api/v1/reports/").status_code in (401, 403)


def test_institution_admin_sees_their_institution_only(client, country):
    a, b, _far = country["schools"]
    admin = admin_of(a)
    token = Token.objects.create(user=admin)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    body = client.get("/api/v1/reports/", **auth).json()
    assert body["scope"] == "institution" and body["filters"]["institution"] == a.code
    assert body["total"]["enrolled"] == published(country["groups"][0][1])
    assert "cohort" in body["breakdowns"]
    other = client.get(f"/api/v1/reports/?institution={b.code}", **auth)
    assert other.status_code == 400
    # a region filter does not widen an admin's view
    assert client.get("/api/v1/reports/?region=baku", **auth).json()["scope"] == "institution"


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "pdf"])
def test_files_hold_aggregates_only(client, country, fmt, django_capture_on_commit_callbacks):
    user = analyst()
    login(client, user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/en/reports/builds/",
            {"format": fmt, "region": "baku"},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 202
    build = ReportBuild.objects.get(pk=response.json()["id"])
    assert client.get(response.json()["status_url"]).json()["status"] == "queued"
    report_build_run(build_id=build.pk)  # what the worker does
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "done" and status["progress"] == 100
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == exports.CONTENT_TYPES[fmt]
    content = download.content
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            text = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
        assert "Lyceum 1" in text
    elif fmt == "pdf":
        assert content.startswith(b"%PDF")
        streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
        text = ""
        for s in streams:
            try:
                text += zlib.decompress(s).decode("latin-1")
            except zlib.error:
                text += s.decode("latin-1")
        assert "/Subtype /Image" not in content.decode("latin-1")
    else:
        text = content.decode("utf-8-sig")
        assert "Lyceum 1" in text
    assert_no_student(text, all_students(country))
    # someone else cannot fetch this file
    login(client, analyst())
    assert client.get(status["download_url"]).status_code == 404
    assert ReportAccessLog.objects.filter(channel="file", what=f"region/{fmt}").exists()


def test_completion_counts_students_who_finished_a_course(country, record):
    from tests.courses.pages import course

    c = course()
    _cohort, students = country["groups"][0]
    for s in students[:10]:
        CourseProgress.objects.create(
            student=s,
            course=c,
            lessons_total=2,
            lessons_completed=2,
            percent=100,
            completed_at=timezone.now(),
        )
    completion_refresh()  # what the beat task does every ten minutes
    report = report_document(parse_filters({"institution": country["schools"][0].code}, user=None))
    assert report["total"]["completed"] == published(students[:10])
    assert report["total"]["enrolled"] == published(students)
    # the rate of the published counts: the true 10/14 would tell the true counts
    assert report["total"]["completion_rate"] == round(
        published(students[:10]) / published(students), 3
    )


def test_the_openapi_schema_documents_the_reports_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/reports/" in text and "period" in text


def test_cohort_rows_name_cohorts_never_students(client, country):
    """Drilled down to an institution, rows are cohorts (their names), never students."""
    login(client, analyst())
    code = country["schools"][2].code
    body = client.get(f"/en/reports/?institution={code}").content.decode()
    assert_no_student(body, all_students(country))
    report = report_document(parse_filters({"institution": code}, user=None))
    assert [r["key"] for r in report["breakdowns"]["cohort"]] == [country["groups"][2][0].code]
