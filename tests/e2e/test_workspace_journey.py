"""Issue 12's "Done when", in Chromium with the real worker and sandbox: a student opens an
exercise inside its lesson, types with Tab indentation, runs the notebook up to a cell that
plots and sees the printed output and the plot, checks the visible tests and reads the
failing assertion's message, reloads and finds the draft, fixes the code, submits, reads the
graded result with the teacher's hint for a failing hidden test, and finds the lesson
completed while a free-response answer waits for the teacher. The same journey on a 390 px
phone, where the page never scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from grading.models import ExerciseRun, Submission
from tests.e2e.test_workspace import BUNDLE, PHONE, RUN_MS, log_in
from tests.grading.factories import a_lesson, classroom
from tests.grading.notebook.builders import (
    answer,
    autotest,
    manual_answer,
    markdown,
    notebook,
    read_only,
)

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.sandbox]

MESSAGE = "1 + 4 + 9 is 14"
HIDDEN_MESSAGE = "sum_squares(-1) must raise ValueError"  # never shown to the student
HINT = "A negative n is a mistake: raise ValueError for it."
EXPLANATION = "Each square adds a bigger step, so the curve bends upwards."

# (indent level, text) of each line, as typed: the editor's own indent after Enter is taken
# back with Shift+Tab, and Tab indents.
TYPED_LINES = [
    (0, "def sum_squares(n):"),
    (1, "total = 0"),
    (1, "for i in range(1, n + 1):"),
    (2, "total += i * 2"),
    (1, "return total"),
    (0, "print(sum_squares(3))"),
]
TYPED = "\n".join("    " * depth + text for depth, text in TYPED_LINES)
# Right for the visible tests; still no ValueError for a negative n (the hidden test).
FIXED = TYPED.replace("i * 2", "i * i")


def sums_of_squares():
    """An exercise worth 2 + 1 auto-graded points and 2 points graded by hand; a read-only
    cell plots the student's function."""
    return notebook(
        markdown(
            "# Sums of squares\nWrite `sum_squares(n)`: 1² + 2² + … + n². "
            "A negative `n` raises `ValueError`."
        ),
        read_only("setup", "import matplotlib.pyplot as plt"),
        answer(
            "sum_squares",
            "def sum_squares(n):\n    ### BEGIN SOLUTION\n    if n < 0:\n"
            "        raise ValueError(n)\n    return sum(i * i for i in range(n + 1))\n"
            "    ### END SOLUTION",
        ),
        read_only("plot", "plt.plot(range(6), [sum_squares(n) for n in range(6)])\nplt.show()"),
        autotest("test_visible", f'assert sum_squares(3) == 14, "{MESSAGE}"', points=2),
        autotest(
            "test_negative",
            "assert sum_squares(0) == 0\n### BEGIN HIDDEN TESTS\ntry:\n    sum_squares(-1)\n"
            f'except ValueError:\n    pass\nelse:\n    raise AssertionError("{HIDDEN_MESSAGE}")\n'
            "### END HIDDEN TESTS",
            points=1,
        ),
        manual_answer(
            "explain",
            "Why does the plot bend upwards?\n### BEGIN SOLUTION\nthe steps grow\n### END SOLUTION",
            points=2,
        ),
    )


def sticking_out(page: Page) -> list[str]:
    """The elements that make the page scroll sideways (none, on a page that fits)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= width) return [];
          return Array.from(document.querySelectorAll("body *"))
            .filter((node) => node.getBoundingClientRect().right > width + 0.5)
            .slice(-5)
            .map((node) => node.tagName.toLowerCase() + "." + node.className
              + " " + Math.round(node.getBoundingClientRect().right) + " px");
        }"""
    )


def type_with_tab(page: Page, editor) -> None:
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    for number, (depth, text) in enumerate(TYPED_LINES):
        if number:
            page.keyboard.press("Enter")
            for _ in range(3):
                page.keyboard.press("Shift+Tab")  # back to column 0, however far Enter went
        for _ in range(depth):
            page.keyboard.press("Tab")
        page.keyboard.type(text)


@pytest.fixture(autouse=True)
def _bundle_built():
    if not BUNDLE.exists():
        pytest.fail(f"No {BUNDLE.name}: build the workspace with `make assets`.")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_student_works_an_exercise_through_in_its_lesson_until_it_counts_as_completed(
    page, celery_worker_process, viewport
):
    room = classroom(
        source=sums_of_squares(),
        title="Sums of squares",
        pass_threshold=60,  # 2 of the 3 auto-graded points pass
        test_hints={"test_negative": HINT},
    )
    lesson = a_lesson(room.course, room.exercise, completion_rule="exercise")
    if viewport:
        page.set_viewport_size(viewport)
    log_in(page, room.student.username)
    page.goto(lesson.url)
    expect(page.get_by_role("heading", name=lesson.title, level=1)).to_be_visible()
    expect(page.get_by_test_id("lesson-completed")).to_have_count(0)
    panel = page.get_by_test_id("exercise-panel")
    code = panel.locator('li[data-grade-id="sum_squares"]')
    editor = code.locator(".cm-content")
    expect(editor).to_have_accessible_name(re.compile("Your code"))

    type_with_tab(page, editor)

    assert code.locator("textarea").input_value() == TYPED
    plot = panel.locator('li[data-grade-id="plot"]')
    plot.get_by_role("button", name="Run up to plot").click()

    expect(code.get_by_test_id("cell-output")).to_have_text("12", timeout=RUN_MS)
    image = plot.get_by_test_id("cell-output").get_by_role("img", name="Image produced by the cell")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 100")
    expect(panel.get_by_test_id("run-status")).to_contain_text("Done in")
    assert sticking_out(page) == []

    panel.get_by_role("button", name="Check with the visible tests").click()

    checked = panel.get_by_test_id("check-results")
    failed = checked.locator(".test-failed", has_text="test_visible")
    expect(failed.locator(".message")).to_contain_text(MESSAGE, timeout=RUN_MS)
    expect(checked.locator(".test-passed", has_text="test_negative")).to_be_visible()
    expect(checked).to_contain_text("Visible tests passed: 1 of 2")
    expect(checked).not_to_contain_text(HIDDEN_MESSAGE)

    panel.get_by_label("Your answer (text)").fill(EXPLANATION)
    expect(panel.get_by_test_id("draft-state")).to_contain_text("Draft saved")
    page.reload()

    code = panel.locator('li[data-grade-id="sum_squares"]')
    expect(code.locator(".cm-content")).to_contain_text("total += i * 2")
    assert code.locator("textarea").input_value() == TYPED
    expect(panel.get_by_label("Your answer (text)")).to_have_value(EXPLANATION)

    code.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(FIXED)
    assert code.locator("textarea").input_value() == FIXED
    panel.get_by_role("button", name="Submit my answers").click()

    result = panel.locator('[data-testid="result"][data-status="graded"]')
    expect(result).to_be_visible(timeout=RUN_MS)
    expect(panel.get_by_test_id("result-score")).to_have_text("2 / 5")
    expect(panel.get_by_test_id("result-outcome")).to_have_text(
        "Auto-graded: passed. 2 points await your teacher."
    )
    expect(result.locator(".test-passed", has_text="test_visible")).to_be_visible()
    hidden = result.locator(".test-failed", has_text="test_negative")
    expect(hidden.locator(".message")).to_contain_text(HINT)
    expect(result).not_to_contain_text(HIDDEN_MESSAGE)
    expect(result.locator(".test", has_text="explain")).to_contain_text("— / 2")
    assert sticking_out(page) == []

    result.get_by_role("link", name="Open the full feedback").click()

    expect(page).to_have_url(re.compile(r"/en/exercises/\d+/submissions/[^/]+/feedback/$"))
    expect(page.get_by_role("banner")).to_contain_text("National Digital Skills Platform")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("result-outcome")).to_have_text(
        "Auto-graded: passed. 2 points await your teacher."
    )
    expect(page.get_by_text(HINT).first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(HIDDEN_MESSAGE)
    assert sticking_out(page) == []

    page.goto(lesson.url)

    expect(page.get_by_test_id("lesson-completed")).to_have_text("Completed")
    assert sticking_out(page) == []

    page.goto("/en/dashboard/")

    card = page.get_by_test_id("course-card").filter(has_text=room.course.title)
    expect(card.get_by_test_id("course-percent")).to_have_text("100%")
    assert sticking_out(page) == []
    submission = Submission.objects.get(student=room.student)
    assert submission.attempt == 1  # the runs and the check were not attempts
    assert submission.cells.get(grade_id="explain").score is None  # awaits the teacher
    assert ExerciseRun.objects.filter(student=room.student).count() == 2
