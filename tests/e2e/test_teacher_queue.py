"""In the browser, by links only: a teacher goes from the dashboard to the needs-grading
queue, grades a free answer, moves on to the next in the queue, and opens the cohort's
gradebook; on an exercise's page, a regrade's finished attempts update the submissions
table while the teacher watches, without a reload."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from grading import queue, services
from grading.models import Submission
from tests.factories import PASSWORD
from tests.grading.factories import classroom
from tests.grading.test_needs_grading import graded

pytestmark = [pytest.mark.e2e]


def log_in(page: Page, username: str) -> None:
    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator(".login-box").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/en/dashboard/$"))


def test_a_teacher_grades_from_the_queue_and_opens_the_gradebook_by_links(page):
    room = classroom()
    first = graded(room.exercise, room.student, minutes_ago=30)
    graded(room.exercise, room.classmate, minutes_ago=5)
    log_in(page, room.teacher.username)

    page.get_by_test_id("needs-grading-link").click()

    expect(page.get_by_role("heading", name="Needs grading", level=1)).to_be_visible()
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Aysel Aliyeva")  # the oldest first
    rows.first.get_by_role("link", name=re.compile("^Grade")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Aysel Aliyeva")
    for cell, score in (("explain", "2"), ("reflect", "1")):
        form = page.locator(f'[data-testid="grade-cell"][data-cell="{cell}"]')
        form.get_by_label(f"Score for {cell}").fill(score)
        form.get_by_label(f"Comment on {cell}").fill("Clear and complete.")
        form.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text(f"Score saved for {cell}.")

    expect(page.get_by_test_id("all-graded")).to_be_visible()
    expect(page.get_by_test_id("result-score")).to_have_text("6 / 6")
    next_in_queue = page.get_by_test_id("queue-next")
    expect(next_in_queue).to_contain_text("Next in the queue: Murad Mammadov")
    next_in_queue.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Murad Mammadov")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()

    page.get_by_role("link", name="My dashboard").first.click()
    expect(page.get_by_test_id("needs-grading-link")).to_have_text(
        "1 submission waits for your score"
    )
    results = page.get_by_test_id("cohort-results-links")
    results.get_by_role("link", name=re.compile("^Gradebook")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Gradebook")
    book = page.get_by_test_id("gradebook")
    expect(book.get_by_role("row", name=re.compile("Aliyeva"))).to_contain_text("6")
    first.refresh_from_db()
    assert first.total == 6 and not first.needs_manual


def test_a_regrade_updates_the_submissions_table_without_a_reload(page, monkeypatch):
    monkeypatch.setattr(queue, "submission_grading_queue", lambda **kwargs: None)  # no worker
    room = classroom()
    mine = graded(room.exercise, room.student)
    theirs = graded(room.exercise, room.classmate)
    services.exercise_regrade(exercise=room.exercise, requested_by=room.teacher)
    log_in(page, room.teacher.username)
    page.goto(f"/en/teach/exercises/{room.exercise.pk}/")
    row = page.locator(f'[data-testid="submission-row"][data-submission="{mine.uid}"]')
    expect(row).to_have_attribute("data-status", "queued")
    page.evaluate("window.__stillThisPage = true")

    # the worker finishes one attempt: its row follows, the other stays queued
    Submission.objects.filter(pk=mine.pk).update(
        status=Submission.Status.GRADED, graded_at=timezone.now(), total=4, needs_manual=False
    )

    expect(row).to_have_attribute("data-status", "graded")
    expect(row.get_by_test_id("submission-score")).to_have_text("4 / 6")
    expect(row).to_have_class(re.compile("just-updated"))
    other = page.locator(f'[data-testid="submission-row"][data-submission="{theirs.uid}"]')
    expect(other).to_have_attribute("data-status", "queued")
    expect(page.get_by_test_id("regrade-progress").locator(".progress-text")).to_have_text("1 / 2")

    Submission.objects.filter(pk=theirs.pk).update(
        status=Submission.Status.GRADED, graded_at=timezone.now(), total=3
    )

    expect(other).to_have_attribute("data-status", "graded")
    expect(page.get_by_test_id("regrade-progress")).to_have_attribute("data-percent", "100")
    assert page.evaluate("window.__stillThisPage") is True
