"""Spreadsheet formula injection, end to end: a name that a spreadsheet would run as a
formula (an institution or a cohort named `=cmd|...`) reaches the ministry's CSV and XLSX
downloads as text, through the platform's one writer (cms.exports)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from evidence.models import CompetenceEvidence
from reports.builds import report_build_run
from reports.rollups import mastery_rebuild
from tests.factories import PASSWORD, analyst

from .conftest import cohort_with_students, months_ago, school

pytestmark = pytest.mark.django_db

EVIL_INSTITUTION = "=cmd|' /C calc'!A0"
EVIL_COHORT = "=cmd|' /C notepad'!A0"


@pytest.fixture
def evil(competences, region):
    """A school and a cohort whose names are formulas, with enough students (and
    evidence) to be shown, not suppressed."""
    institution = school(region, name_en=EVIL_INSTITUTION, code="evil-school")
    cohort, students = cohort_with_students(institution, 12, name=EVIL_COHORT)
    other = school(region, name_en="Lyceum 1")
    _other_cohort, others = cohort_with_students(other, 12)
    CompetenceEvidence.objects.bulk_create(
        CompetenceEvidence(
            student=s,
            competence=c,
            level=1 + (i + j) % 2,
            score=1.0,
            source="quiz",
            source_key=f"quiz:evil:{j}",
            recorded_at=months_ago(i % 2),
        )
        for i, s in enumerate(students + others)
        for j, c in enumerate(competences[:3])
    )
    mastery_rebuild()
    return institution, cohort


def download(client, fmt: str, django_capture_on_commit_callbacks, **filters) -> bytes:
    user = analyst()
    assert client.login(username=user.username, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/en/reports/builds/", {"format": fmt, **filters}, HTTP_ACCEPT="application/json"
        )
    assert response.status_code == 202, response.content
    report_build_run(build_id=response.json()["id"])  # what the worker does
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "done", status
    return client.get(status["download_url"]).content


def csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def xlsx_cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize(
    ("filters", "evil_name"),
    [({"region": "baku"}, EVIL_INSTITUTION), ({"institution": "evil-school"}, EVIL_COHORT)],
    ids=["institution-rows", "cohort-rows"],
)
def test_the_ministry_csv_keeps_a_formula_name_as_text(
    client, evil, filters, evil_name, django_capture_on_commit_callbacks
):
    cells = csv_cells(download(client, "csv", django_capture_on_commit_callbacks, **filters))

    assert "'" + evil_name in cells
    assert evil_name not in cells  # never bare, where a spreadsheet would run it
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c.startswith("-") and not _num(c))]


@pytest.mark.parametrize(
    ("filters", "evil_name"),
    [({"region": "baku"}, EVIL_INSTITUTION), ({"institution": "evil-school"}, EVIL_COHORT)],
    ids=["institution-rows", "cohort-rows"],
)
def test_the_ministry_xlsx_keeps_a_formula_name_as_text(
    client, evil, filters, evil_name, django_capture_on_commit_callbacks
):
    cells = xlsx_cells(download(client, "xlsx", django_capture_on_commit_callbacks, **filters))

    named = [c for c in cells if isinstance(c.value, str) and evil_name in c.value]
    assert named, "the name is in the file"
    for cell in named:
        assert cell.value == "'" + evil_name
        assert cell.data_type == "s"  # a string cell; openpyxl reads a formula as "f"
    assert not [c for c in cells if c.data_type == "f"]


def _num(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
