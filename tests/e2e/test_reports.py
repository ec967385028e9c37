"""A ministry analyst opens the skills reports, filters them, drills down from the country
to a region and a school, and downloads the XLSX and the PDF."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import Page, expect

from people.models import Region
from reports.models import ReportAccessLog
from tests.factories import analyst
from tests.reports.conftest import (
    cohort_with_students,
    months_ago,
    published,
    replace_evidence,
    school,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def eager_celery():
    from lms.celery import app

    # the roll-ups and the files are built in the request, no worker needed
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def evidence(student, competence, level, when):
    """A quiz answer: one batch through evidence_replace, rolled up after commit (eager)."""
    replace_evidence(
        student, f"quiz:e2e:{student.pk}:{competence.pk}", [(competence, level, 1.0)], when=when
    )


def test_analyst_filters_drills_down_and_downloads(page: Page, eager_celery):
    from curricula.models import Competence

    baku = Region.objects.get(code="baku")
    lyceum = school(baku, name_en="Lyceum 6")
    other = school(Region.objects.get(code="ganja-dashkasan"), name_en="Ganja School 1")
    competences = list(Competence.objects.filter(area__framework__kind="digcomp")[:3])
    students = {}
    for institution, n, track in ((lyceum, 15, "school"), (other, 12, "university")):
        _cohort, students[track] = cohort_with_students(institution, n, track=track)
        for i, s in enumerate(students[track]):
            for j, c in enumerate(competences):
                # two bands of at least k results: averages stand beside no hidden band
                evidence(s, c, 1 + (i + j) % 4, months_ago(i % 3))
    # counts are shown perturbed by the cell-key method: the same students, the same figure
    everyone = str(published(students["school"] + students["university"]))
    university, school_track = (
        str(published(students["university"])),
        str(published(students["school"])),
    )
    user = analyst(first_name="Rashad", last_name="Karimov")

    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator(".login-box").get_by_role("button", name="Log in").click()
    page.get_by_test_id("reports-link").click()
    expect(page.locator("h1")).to_have_text("Skills reports")
    expect(page.get_by_test_id("total-enrolled")).to_have_text(everyone)
    expect(page.get_by_test_id("chart-competences")).to_be_visible()
    expect(page.get_by_test_id("chart-trend")).to_be_visible()

    # filter: the university track only
    page.locator("select[name=track]").select_option("university")
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("total-enrolled")).to_have_text(university)
    page.locator("select[name=track]").select_option("")
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("total-enrolled")).to_have_text(everyone)

    # drill down: country -> Baku -> the lyceum
    page.get_by_test_id("drill-baku").click()
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("Baku")
    expect(page.get_by_test_id("total-enrolled")).to_have_text(school_track)
    page.get_by_test_id(f"drill-{lyceum.code}").click()
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("Lyceum 6")
    expect(page.get_by_test_id("breakdown-cohort")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Secretname")

    with page.expect_download() as xlsx_info:
        page.get_by_test_id("download-xlsx").click()
    xlsx = xlsx_info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.path().read_bytes())) as book:
        strings = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    assert "Lyceum 6" in strings and "Secretname" not in strings

    with page.expect_download() as pdf_info:
        page.get_by_test_id("download-pdf").click()
    pdf = pdf_info.value
    assert pdf.suggested_filename.endswith(".pdf")
    assert pdf.path().read_bytes()[:4] == b"%PDF"

    assert ReportAccessLog.objects.filter(user=user, channel="page").count() >= 4
    assert ReportAccessLog.objects.filter(user=user, channel="file").count() == 2
