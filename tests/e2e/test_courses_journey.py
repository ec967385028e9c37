"""The course journey in a real browser: a teacher writes a lesson with a quiz in the Wagtail
admin and submits it for moderation, a curriculum lead approves (which publishes it), the
teacher assigns the course to a cohort, and a student of the cohort finds it on the
dashboard, reads, answers the quiz and sees progress and skill profile change. The
student's part runs in each platform language."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from courses.models import CourseAssignment, LessonPage, QuizAttempt
from curricula.models import Competence
from people.services import CURRICULUM_LEADS_GROUP
from tests.courses.pages import course, curriculum, lesson
from tests.factories import PASSWORD, CohortFactory, student_in, teacher_of

pytestmark = pytest.mark.e2e

QUESTION = "How many times does for i in range(3) run its body?"


def log_in(page: Page, username: str, lang: str = "en") -> None:
    page.context.clear_cookies()
    page.goto(f"/{lang}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator(".login-box button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/{lang}/dashboard/$"))


def footer_action(page: Page, name: str) -> None:
    """A button of the editor's footer: the primary one, or one from its dropdown."""
    button = page.locator("footer").get_by_role("button", name=name, exact=True)
    if not button.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    button.click()


def add_choice(question, prefix: str, index: int, text: str, correct: bool) -> None:
    question.locator("[data-contentpath='choices'] [data-streamfield-list-add]").last.click()
    question.page.locator(f"#{prefix}-choices-{index}-value-text").fill(text)
    if correct:
        question.page.locator(f"#{prefix}-choices-{index}-value-correct").check()


@pytest.mark.parametrize("lang", ["en", "az", "ru"])
def test_a_lesson_goes_from_the_editor_to_a_students_skill_profile(
    page: Page, live_server, settings, lang
):
    cohort = CohortFactory(name="9-A")
    teacher = teacher_of(cohort, username="elvin", first_name="Elvin")
    lead = teacher_of(CohortFactory(name="10-B"), username="tural", first_name="Tural")
    lead.groups.add(Group.objects.get(name=CURRICULUM_LEADS_GROUP))
    student = student_in(cohort, username="aysel", first_name="Aysel", last_name="Aliyeva")
    python = course(curriculum(title="Informatics 5-9"), title="Python basics")
    lesson(python, title="Introduction", slug="introduction", completion_rule="read")
    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    # The Wagtail admin is heavy: on a busy machine a step may take longer than the suite's
    # default, which is meant for the platform's own light pages.
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    # Wagtail 8 autosaves drafts while one types; a save still in flight when the teacher
    # submits would create the page twice (two inserts at the same tree path). The
    # journey is about the explicit actions, so the editor saves only when asked here.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0

    # -- the teacher writes a lesson with a quiz and submits it for moderation ---------------
    log_in(page, teacher.username)
    page.goto(f"/admin/pages/add/courses/lessonpage/{python.pk}/")
    page.locator("#id_title").fill("Loops")
    page.locator("#id_introduction").fill("A loop repeats the same steps.")
    page.locator("#id_completion_rule").select_option("quiz")
    page.locator("button[title='Insert a block']").first.click()
    page.locator(".w-combobox__option", has_text="Quiz").click()
    page.locator("#body-0-value-title").fill("Check yourself")
    prefix = "body-0-value-questions-0-value"
    page.locator(f"#{prefix}-prompt").fill(QUESTION)
    question = page.locator("[data-contentpath='questions']").first
    for index, (text, correct) in enumerate([("2", False), ("3", True), ("4", False)]):
        add_choice(question, prefix, index, text, correct)
    page.locator(f"#{prefix}-competence").select_option(str(programming.pk))
    page.locator(f"#{prefix}-level").fill("2")
    page.locator(f"#{prefix}-explanation").fill("range(3) gives 0, 1 and 2.")
    page.locator("#tab-label-promote").click()
    page.locator("#id_slug").fill("loops")
    footer_action(page, "Submit to Course review")

    expect(page.locator(".messages")).to_contain_text("submitted for moderation")
    loops = LessonPage.objects.get(slug="loops")
    assert not loops.live

    # -- the curriculum lead approves, which publishes ----------------------------------------
    log_in(page, lead.username)
    page.goto(f"/admin/pages/{loops.pk}/edit/")
    footer_action(page, "Approve and Publish")
    expect(page.locator(".messages")).to_contain_text("Page 'Loops' has been updated.")
    loops.refresh_from_db()
    assert loops.live

    # -- the teacher assigns the course to the cohort --------------------------------------
    log_in(page, teacher.username)
    page.goto(python.url)
    assign = page.get_by_test_id("assign-course")
    assign.locator("select[name=cohort]").select_option(str(cohort.pk))
    assign.locator("input[name=due_on]").fill("2027-05-31")
    assign.get_by_test_id("assign-submit").click()
    expect(page.get_by_test_id("cohort-progress")).to_contain_text("Aliyeva")
    assert CourseAssignment.objects.get(cohort=cohort).course == python

    # -- the student, in their language ----------------------------------------------------
    log_in(page, student.username, lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    card = page.get_by_test_id("course-card")
    expect(card).to_contain_text("Python basics")
    expect(card).to_have_attribute("data-percent", "0")
    expect(card.get_by_test_id("course-due")).to_be_visible()
    expect(page.get_by_test_id("skill-chart")).to_have_count(0)

    page.get_by_test_id("next-step").locator("a.button").click()
    expect(page).to_have_url(re.compile(rf"/{lang}/.+/introduction/$"))
    page.get_by_test_id("mark-read").click()
    expect(page.get_by_test_id("lesson-completed")).to_be_visible()
    page.locator("a[rel=next]").click()

    quiz = page.get_by_test_id("quiz")
    expect(quiz).to_contain_text(QUESTION)
    assert "range(3) gives 0, 1 and 2." not in page.content()  # nothing before answering
    quiz.locator("label.choice", has_text="3").locator("input").check()
    quiz.get_by_test_id("quiz-check").click()
    expect(page.get_by_test_id("feedback")).to_contain_text("range(3) gives 0, 1 and 2.")
    expect(page.get_by_test_id("quiz-passed")).to_be_visible()
    assert QuizAttempt.objects.filter(student=student, is_correct=True).count() == 1

    page.goto(f"/{lang}/dashboard/")
    card = page.get_by_test_id("course-card")
    expect(card).to_have_attribute("data-percent", "100")
    expect(page.get_by_test_id("recent-result")).to_have_count(1)
    chart = page.get_by_test_id("skill-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("g[data-competence='3.4']")).to_have_attribute("data-percent", "100")
