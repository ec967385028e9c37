"""Every way of reading a report goes through reports.reading.report_read: one audit row
per read, whatever the interface, and a refused read shows nothing and logs nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from reports.builds import report_build_request, report_build_run
from reports.delivery import monthly_deliveries_create
from reports.filters import FilterError
from reports.models import MinistryEndpoint, ReportAccessLog, ReportBuild, ReportSchedule
from reports.reading import Channel, ReportAccessDenied, report_read
from tests.factories import PASSWORD, admin_of, analyst, teacher_of

from .conftest import cohort_with_students, school

pytestmark = pytest.mark.django_db
REPORTS = Path(__file__).resolve().parents[2] / "reports"


@pytest.fixture
def schools(region, record, competences):
    a, b = school(region, name_en="Lyceum 1"), school(region, name_en="School 2")
    for institution in (a, b):
        _cohort, students = cohort_with_students(institution, 11)
        for s in students[:3]:
            record(s, competences[0], level=2)
    return a, b


def logged() -> list[tuple]:
    return list(ReportAccessLog.objects.values_list("user", "channel", "what"))


def test_the_dashboard_logs_one_row_per_page(client, schools):
    user = analyst()
    client.login(username=user.username, password=PASSWORD)
    assert client.get("/en/reports/?region=baku").status_code == 200
    assert logged() == [(user.pk, "page", "region/page")]


def test_the_api_logs_one_row_per_answer(client, schools):
    user = analyst()
    token = Token.objects.create(user=user)
    response = client.get("/api/v1/reports/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert logged() == [(user.pk, "api", "country/api")]


def test_a_file_is_one_read_however_often_it_is_downloaded(
    client, schools, django_capture_on_commit_callbacks
):
    user = analyst()
    client.login(username=user.username, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/en/reports/builds/", {"format": "csv"}, HTTP_ACCEPT="application/json"
        )
    assert logged() == []  # asked for, not read yet
    report_build_run(build_id=response.json()["id"])  # the worker reads it for the user
    report_build_run(build_id=response.json()["id"])  # a redelivered task: nothing more
    status = client.get(response.json()["status_url"]).json()
    for _ in range(2):
        assert client.get(status["download_url"]).status_code == 200
    assert logged() == [(user.pk, "file", "country/csv")]


def test_a_delivery_is_one_read_for_every_endpoint(schools, digcomp):
    schedule = ReportSchedule.objects.create(name="National monthly", framework=digcomp)
    for n in range(2):
        schedule.endpoints.add(
            MinistryEndpoint.objects.create(
                name=f"hub {n}", url=f"https://hub{n}.example/", secret="s"
            )
        )
    assert len(monthly_deliveries_create(period="2026-01")) == 2
    assert len(monthly_deliveries_create(period="2026-01")) == 2  # run twice: found
    assert logged() == [(None, "delivery", "country/json")]


def test_a_refused_read_shows_nothing_and_logs_nothing(client, schools):
    a, b = schools
    cohort = a.cohorts.first()
    teacher = teacher_of(cohort)
    with pytest.raises(ReportAccessDenied):
        report_read(reader=teacher, channel=Channel.PAGE, params={})
    with pytest.raises(ReportAccessDenied):  # only the scheduler reads without a reader
        report_read(reader=None, channel=Channel.API, params={})
    with pytest.raises(FilterError):  # an admin of one school asking for another
        report_read(reader=admin_of(a), channel=Channel.API, params={"institution": b.code})
    with pytest.raises(FilterError):
        report_read(reader=analyst(), channel=Channel.PAGE, params={"period": "2999-01"})
    with pytest.raises(ReportAccessDenied):
        report_build_request(user=teacher, fmt="csv", params={})
    assert not ReportBuild.objects.exists()
    client.login(username=teacher.username, password=PASSWORD)
    assert client.get("/en/reports/").status_code == 403
    assert client.post("/en/reports/builds/", {"format": "csv"}).status_code == 403
    token = Token.objects.create(user=teacher)
    assert (
        client.get("/api/v1/reports/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 403
    )
    assert logged() == []


def test_a_file_whose_reader_lost_the_role_is_not_built(
    schools, django_capture_on_commit_callbacks
):
    a, _b = schools
    admin = admin_of(a)
    with django_capture_on_commit_callbacks(execute=False):
        build = report_build_request(user=admin, fmt="json", params={})
    admin.memberships.all().delete()
    del admin._roles_cache
    build = report_build_run(build_id=build.pk)
    assert build.status == ReportBuild.Status.FAILED and build.content is None
    assert logged() == []


def test_only_the_read_action_builds_documents_and_writes_the_log():
    """No interface can forget the log: none builds a document or writes a log row
    itself; only reports/reading.py does either."""
    for path in REPORTS.rglob("*.py"):
        relative = path.relative_to(REPORTS).as_posix()
        if relative.startswith(("document/", "migrations/")) or relative == "reading.py":
            continue
        text = path.read_text()
        assert "report_document" not in text, relative
        assert "ReportAccessLog.objects" not in text, relative
