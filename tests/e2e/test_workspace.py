"""The student's notebook workspace in Chromium: code editors with Tab indentation (and
Escape, Tab to leave them), a draft that survives a reload, Run, Shift+Enter and Check
against the real worker with outputs under the cells, Stop, Reset to the original; on a
desktop screen and on a 390 px phone, where the page never scrolls sideways. Without
JavaScript the page keeps its textareas. A submission waiting for a grader shows how long
it waits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from grading import services
from grading.models import ExerciseDraft, ExerciseRun, Submission
from tests.factories import PASSWORD
from tests.grading.factories import classroom, submission_notebook

pytestmark = [pytest.mark.e2e]

BUNDLE = Path(settings.BASE_DIR) / "grading" / "static" / "grading" / "js" / "workspace.js"
RUN_MS = 60_000  # a cold kernel in the sandbox, on a busy machine
TYPED = "def square(x):\n    return x * x\nprint(square(12))"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _bundle_built():
    if not BUNDLE.exists():
        pytest.fail(f"No {BUNDLE.name}: build the workspace with `make assets`.")


def log_in(page: Page, username: str) -> None:
    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator(".login-box").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/en/dashboard/$"))


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def type_the_answer_with_tab(page: Page, editor) -> None:
    """Type TYPED in a code editor, indenting with Tab and outdenting with Shift+Tab
    (whatever the editor indents by itself after Enter is taken back first)."""
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("def square(x):")
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Shift+Tab")  # back to column 0, however far Enter indented
    page.keyboard.press("Tab")
    page.keyboard.type("return x * x")
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    page.keyboard.type("print(square(12))")


@pytest.mark.worker
@pytest.mark.sandbox
@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_student_types_runs_checks_and_finds_the_draft_after_a_reload(
    page, celery_worker_process, viewport
):
    room = classroom()
    if viewport:
        page.set_viewport_size(viewport)
    log_in(page, room.student.username)
    page.goto(f"/en/exercises/{room.exercise.pk}/")
    panel = page.get_by_test_id("exercise-panel")
    square = panel.locator('li[data-grade-id="square"]')
    editor = square.locator(".cm-content")
    expect(editor).to_be_visible()
    expect(editor).to_have_accessible_name(re.compile("Your code"))
    expect(square.locator("textarea")).to_be_hidden()  # kept in step, for submitting
    expect(panel.locator('li[data-grade-id="test_visible"] .cm-content')).to_contain_text(
        "assert square(2) == 4"
    )

    type_the_answer_with_tab(page, editor)

    assert square.locator("textarea").input_value() == TYPED
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    # Tab stayed in the editor; Escape, then Tab, leaves it for the cell's Run button
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    run = square.get_by_role("button", name="Run up to square")
    expect(run).to_be_focused()
    expect(panel.get_by_test_id("draft-state")).to_contain_text("Draft saved")
    assert ExerciseDraft.objects.get(student=room.student).answers["square"] == TYPED

    page.keyboard.press("Enter")  # runs up to the cell

    output = square.get_by_test_id("cell-output")
    expect(output).to_contain_text("144", timeout=RUN_MS)
    expect(panel.get_by_test_id("run-status")).to_contain_text("Done in")
    expect(
        panel.locator('li[data-grade-id="test_visible"] [data-testid="cell-output"]')
    ).to_have_count(0)
    assert no_sideways_scroll(page)

    panel.get_by_role("button", name="Check with the visible tests").click()

    checked = panel.get_by_test_id("check-results")
    expect(checked.locator(".test-passed", has_text="test_visible")).to_be_visible(timeout=RUN_MS)
    expect(checked).to_contain_text("Visible tests passed: 2 of 2")

    page.reload()

    square = panel.locator('li[data-grade-id="square"]')
    expect(square.locator(".cm-content")).to_contain_text("print(square(12))")
    assert square.locator("textarea").input_value() == TYPED
    assert no_sideways_scroll(page)

    panel.get_by_role("button", name="Reset to the original").click()
    dialog = panel.get_by_test_id("reset-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Reset", exact=True).click()

    expect(square.locator(".cm-content")).to_contain_text("raise NotImplementedError()")
    expect(panel.get_by_test_id("run-status")).to_contain_text("The original notebook is back")
    assert not ExerciseDraft.objects.filter(student=room.student).exists()

    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("while True: pass")  # over the selected lines
    assert square.locator("textarea").input_value() == "while True: pass"
    page.keyboard.press("Shift+Enter")  # runs up to this cell
    status = panel.get_by_test_id("run-status")
    expect(status).to_have_attribute("data-state", "running", timeout=RUN_MS)
    expect(panel.get_by_test_id("run-elapsed")).to_have_text(re.compile(r"^\d+\.\d s$"))
    panel.get_by_role("button", name="Stop").click()

    expect(status).to_have_attribute("data-state", "failed", timeout=5_000)
    expect(status).to_contain_text("Stopped")
    expect(panel.get_by_role("button", name="Run all")).to_be_enabled()
    assert ExerciseRun.objects.filter(student=room.student).count() == 3
    assert not Submission.objects.exists()  # runs and drafts are not attempts


def test_a_run_that_is_refused_says_why_in_the_status(page):
    """No worker here: too many runs pending is refused by the API, and the page says so."""
    room = classroom()
    for _ in range(settings.GRADING_RUNS_MAX_PENDING):
        ExerciseRun.objects.create(exercise=room.exercise, student=room.student)
    log_in(page, room.student.username)
    page.goto(f"/en/exercises/{room.exercise.pk}/")
    panel = page.get_by_test_id("exercise-panel")

    panel.get_by_role("button", name="Run all").click()

    status = panel.get_by_test_id("run-status")
    expect(status).to_have_attribute("data-kind", "error")
    expect(status).not_to_be_empty()
    expect(panel.get_by_role("button", name="Run all")).to_be_enabled()
    expect(panel.get_by_role("button", name="Stop")).to_be_disabled()


def test_the_workspace_fits_a_phone_and_a_markdown_answer_has_a_preview(page):
    room = classroom()
    page.set_viewport_size(PHONE)
    log_in(page, room.student.username)
    page.goto(f"/en/exercises/{room.exercise.pk}/")
    panel = page.get_by_test_id("exercise-panel")
    editor = panel.locator('li[data-grade-id="square"] .cm-content')
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n" + "x = '" + "a very long line " * 20 + "'")
    explain = panel.locator('li[data-grade-id="explain"]')

    explain.locator("textarea").fill("Because **minus** times minus is plus.")
    explain.get_by_role("button", name="Show the preview").click()

    expect(explain.get_by_role("region")).to_contain_text("Because minus times minus")
    expect(explain.get_by_role("region").locator("strong")).to_have_text("minus")
    expect(panel.get_by_test_id("draft-state")).to_contain_text("Draft saved")
    assert no_sideways_scroll(page)
    answers = ExerciseDraft.objects.get(student=room.student).answers
    assert answers["explain"] == "Because **minus** times minus is plus."
    assert "a very long line" in answers["square"]


def test_a_submission_waiting_for_a_grader_shows_how_long_it_waits(page):
    """No worker: the attempt stays queued, and the page counts the seconds."""
    room = classroom()
    services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=submission_notebook(room.exercise),
        origin=Submission.Origin.UPLOAD,
    )
    log_in(page, room.student.username)
    page.goto(f"/en/exercises/{room.exercise.pk}/")

    elapsed = page.get_by_test_id("result-elapsed")

    expect(elapsed).to_have_text(re.compile(r"^ · \d+ s so far$"))
    first = int(re.search(r"\d+", elapsed.inner_text()).group())
    expect(elapsed).not_to_have_text(f" · {first} s so far", timeout=3_000)


def test_without_javascript_the_answers_stay_textareas_with_the_draft_in_them(
    browser, live_server, django_db_serialized_rollback
):
    room = classroom()
    ExerciseDraft.objects.create(
        exercise=room.exercise, student=room.student, answers={"square": TYPED}
    )
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/en/accounts/login/")
        page.locator("#id_username").fill(room.student.username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator(".login-box").get_by_role("button", name="Log in").click()
        page.goto(f"/en/exercises/{room.exercise.pk}/")
        panel = page.get_by_test_id("exercise-panel")

        expect(panel.get_by_label("Your code")).to_have_value(TYPED)
        expect(panel.get_by_label("Your answer (text)")).to_be_visible()
        expect(panel.get_by_role("button", name="Submit my answers")).to_be_visible()
        for hidden in ("Run all", "Check with the visible tests", "Stop", "Reset to the original"):
            expect(panel.get_by_role("button", name=hidden)).to_be_hidden()
        expect(panel.locator(".ws-run")).to_have_count(4)
        expect(panel.locator(".ws-run:visible")).to_have_count(0)
    finally:
        context.close()
