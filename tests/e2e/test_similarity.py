"""In the browser, with a real worker on the default queue: a teacher goes from the
exercise's page to its similar submissions, asks for a check, watches the page until the
two near-identical submissions are ranked first, and opens them side by side."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from grading.models import SimilarityCheck
from tests.e2e.test_teacher_queue import log_in
from tests.factories import student_in
from tests.grading import similarity_data as data
from tests.grading.factories import classroom
from tests.grading.test_similarity import submit
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

CHECK_MS = 60_000  # the worker imports copydetect (numpy, matplotlib) on its first check


@pytest.fixture
def default_worker(transactional_db, django_db_serialized_rollback):
    """A real worker of the default queue only: no grading queue, so no sandbox needed."""
    worker = WorkerProcess(queues="default").start()
    try:
        yield worker
    finally:
        worker.stop()


def test_a_teacher_sees_two_near_identical_submissions_ranked_first(page: Page, default_worker):
    room = classroom(source=data.describe_exercise())
    submit(room.exercise, room.student, data.ORIGINAL)
    submit(room.exercise, room.classmate, data.DISGUISED_COPY)
    for index, source in enumerate(data.HONEST):
        submit(room.exercise, student_in(room.cohort, first_name=f"Honest{index}"), source)
    submit(room.exercise, student_in(room.cohort, first_name="Starter"), data.STARTER_ONLY)
    submit(room.exercise, student_in(room.cohort, first_name="Starter2"), data.STARTER_ONLY)
    log_in(page, room.teacher.username)
    page.goto(f"/en/teach/exercises/{room.exercise.pk}/")

    page.get_by_test_id("similarity-link").click()
    expect(page.get_by_role("heading", name="Similar submissions", level=1)).to_be_visible()
    expect(page.get_by_test_id("similarity-never")).to_be_visible()
    page.get_by_role("button", name="Check now").click()

    # the page refreshes by itself until the worker has compared the submissions
    expect(page.get_by_test_id("similarity-check-status")).to_have_text("Done", timeout=CHECK_MS)
    rows = page.get_by_test_id("similarity-pair")
    expect(rows.first).to_contain_text("Aysel Aliyeva")
    expect(rows.first).to_contain_text("Murad Mammadov")
    expect(rows.first).to_contain_text("100%")
    expect(page.get_by_test_id("similarity-results")).not_to_contain_text("Starter")
    check = SimilarityCheck.objects.get()
    assert check.requested_by == room.teacher and check.submissions_compared == 4 + len(data.HONEST)

    rows.first.get_by_role("link", name="Side by side").click()
    expect(page.get_by_role("heading", name="Side by side", level=1)).to_be_visible()
    first, second = (
        page.get_by_test_id("similarity-first"),
        page.get_by_test_id("similarity-second"),
    )
    expect(first.get_by_role("heading", level=2)).to_contain_text(
        re.compile("Aysel Aliyeva|Murad Mammadov")
    )
    for side in (first, second):
        expect(side.locator("mark").first).to_be_visible()
    expect(page.locator("mark", has_text="acc += (x - avg) ** 2")).to_have_count(1)
    expect(page.locator("mark", has_text="squares += (value - mean) ** 2")).to_have_count(1)
