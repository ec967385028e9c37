"""A student completes a course in the browser, finds the credential on the dashboard,
downloads the certificate PDF, reads its QR code and opens the verification page it
points to: "Valid". The issuing task runs eagerly (the worker's code path, in the web
process)."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from credentials.models import Credential
from lms.celery import app
from tests.credentials.conftest import Classroom
from tests.e2e.test_courses_journey import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_student_completes_a_course_and_verifies_the_certificate_from_its_qr_code(
    page: Page, live_server, settings, eager_celery
):
    settings.CREDENTIALS_ISSUER_URL = live_server.url  # the platform's public address
    room = Classroom()
    student = room.student(username="aysel", first_name="Aysel", last_name="Aliyeva")

    log_in(page, student.username)
    expect(page.get_by_test_id("my-credentials")).to_contain_text("Complete a course")
    for _lesson in range(2):
        page.get_by_test_id("next-step").locator("a.button").click()
        page.get_by_test_id("mark-read").click()
        expect(page.get_by_test_id("lesson-completed")).to_be_visible()
        page.goto("/en/dashboard/")

    credentials = page.get_by_test_id("my-credentials")
    expect(credentials.get_by_test_id("credential")).to_contain_text("Python first steps")
    with page.expect_download() as download:
        credentials.get_by_test_id("credential-certificate").click()
    pdf = download.value.path().read_bytes()
    (pdf_page,) = pypdfium2.PdfDocument(pdf)
    image = pdf_page.render(scale=2).to_pil()
    (link,) = [c.text for c in zxingcpp.read_barcodes(image) if c.format.name == "QRCode"]
    credential = Credential.objects.get(student=student)
    assert link == f"{live_server.url}/en/credentials/{credential.pk}/"

    # a stranger (no session) opens the link
    page.context.clear_cookies()
    page.goto(link)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-status", "valid")
    expect(verdict).to_contain_text("Valid")
    expect(page.get_by_test_id("holder")).to_have_text("Aysel Aliyeva")
    expect(page).to_have_url(re.compile(r"/en/credentials/[0-9a-f-]{36}/$"))
