"""In the browser, with the real grading worker: a student answers an exercise in a lesson
and the result appears in the page without a reload; a teacher regrades every submission
and watches the progress bar fill."""

from __future__ import annotations

import nbformat
import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from grading import services
from grading.models import Submission
from tests.factories import PASSWORD
from tests.grading.factories import RIGHT, WRONG, a_lesson, classroom
from tests.grading.notebook.builders import answered
from tests.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.sandbox]

GRADING_MS = 60_000  # a cold kernel in the sandbox, on a busy machine


def log_in(page: Page, username: str) -> None:
    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator(".login-box").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{page.url.split('/en/')[0]}/en/dashboard/")


def answer(page: Page, panel, grade_id: str, source: str) -> None:
    """Put `source` in an answer cell's code editor (the workspace's, over its textarea)."""
    panel.locator(f'li[data-grade-id="{grade_id}"] .cm-content').click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)


def test_a_student_sees_the_grade_of_an_answer_without_reloading(page, celery_worker_process):
    room = classroom()
    lesson = a_lesson(room.course, room.exercise)
    log_in(page, room.student.username)
    page.goto(lesson.url)
    panel = page.get_by_test_id("exercise-panel")
    expect(panel.get_by_role("heading", name=room.exercise.title)).to_be_visible()
    # Anything kept in the page survives only if the page is never reloaded.
    page.evaluate("window.__gradingMarker = {opened: Date.now()}")
    address = page.url

    answer(page, panel, "square", RIGHT)
    panel.get_by_role("button", name="Submit my answers").click()

    result = panel.locator('[data-testid="result"][data-status="graded"]')
    expect(result).to_be_visible(timeout=GRADING_MS)
    expect(panel.get_by_test_id("result-status")).to_have_text("Graded")
    expect(panel.get_by_test_id("result-score")).to_have_text("3 / 6")
    expect(result.locator(".test-passed")).to_have_count(2)
    first = result.get_attribute("data-submission")
    assert page.url == address
    assert page.evaluate("typeof window.__gradingMarker.opened") == "number"

    answer(page, panel, "square", WRONG)
    panel.get_by_role("button", name="Submit my answers").click()

    second = panel.locator(
        f'[data-testid="result"][data-status="graded"]:not([data-submission="{first}"])'
    )
    expect(second).to_be_visible(timeout=GRADING_MS)
    expect(panel.get_by_test_id("result-score")).to_have_text("0 / 6")
    failed = second.locator(".test-failed", has_text="test_visible")
    expect(failed.locator(".message")).to_contain_text("AssertionError")
    expect(second).not_to_contain_text("square(-7)")  # the hidden test stays hidden
    expect(panel.locator('[data-testid="attempts"] tbody tr')).to_have_count(2)
    expect(panel.get_by_test_id("attempts-used")).to_have_text("2")
    assert page.url == address
    assert page.evaluate("typeof window.__gradingMarker.opened") == "number"
    assert list(
        Submission.objects.filter(student=room.student)
        .order_by("attempt")
        .values_list("status", "total")
    ) == [("graded", 3.0), ("graded", 0.0)]


def test_a_teacher_regrades_all_submissions_and_the_progress_bar_fills(page, celery_worker_process):
    room = classroom()
    for student, answer in ((room.student, RIGHT), (room.classmate, WRONG)):
        nb = answered(nbformat.from_dict(room.exercise.student_notebook), square=answer)
        with transaction.atomic():
            services.submission_create(
                exercise=room.exercise,
                student=student,
                notebook=nbformat.writes(nb),
                origin=Submission.Origin.UPLOAD,
            )
    wait_for(
        lambda: Submission.objects.filter(status="graded").count() == 2,
        timeout=GRADING_MS / 1000,
        message=f"not graded:\n{celery_worker_process.log()}",
    )
    log_in(page, room.teacher.username)
    page.goto(f"/en/teach/exercises/{room.exercise.pk}/")

    page.get_by_role("button", name="Regrade all submissions").click()

    progress = page.get_by_test_id("regrade-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("data-percent", "100", timeout=GRADING_MS)
    expect(progress.locator("progress")).to_have_js_property("value", 100)
    expect(progress.locator(".progress-text")).to_have_text("2 / 2")
    progress.get_by_role("link", name="Regrading finished: show the new scores").click()
    expect(page.get_by_text("Being graded")).to_have_count(0)
    assert Submission.objects.filter(grading_runs=2, status="graded").count() == 2
