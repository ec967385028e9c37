"""A curriculum lead imports a Moodle export of 20 mixed questions into a lesson through
the Wagtail admin (preview, then import and publish), and a student answers the imported
quiz in the browser: a short answer, a number and a true/false question."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from courses.models import LessonPage, QuizAttempt
from courses.quiz import quizzes_in
from curricula.models import Competence
from people.services import CURRICULUM_LEADS_GROUP
from tests.courses.pages import course, curriculum, lesson, student_of
from tests.e2e.test_courses_journey import log_in
from tests.factories import CohortFactory, teacher_of

pytestmark = pytest.mark.e2e

BANK = Path(__file__).resolve().parent.parent / "fixtures" / "questionbanks" / "moodle-mixed.xml"


def test_a_moodle_bank_becomes_a_quiz_students_answer(page: Page, live_server):
    lead = teacher_of(CohortFactory(), username="tural", first_name="Tural")
    lead.groups.add(Group.objects.get(name=CURRICULUM_LEADS_GROUP))
    safety_course = course(curriculum(title="Informatics 5-9"), title="Digital safety")
    target = lesson(
        safety_course, title="Staying safe", slug="staying-safe", completion_rule="quiz"
    )
    student = student_of(safety_course, username="aysel")
    competence = Competence.objects.get(area__framework__slug="digcomp-2-2", code="4.2")
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)

    log_in(page, lead.username)
    # (the edit page's header menu links here: tests/courses/test_question_import.py)
    page.goto(f"/admin/lessons/{target.pk}/import-questions/")
    page.locator("#id_file").set_input_files(str(BANK))
    page.locator("#id_competence").select_option(str(competence.pk))
    page.locator("#id_level").fill("2")
    page.locator("#id_title").fill("Safety check")
    page.get_by_test_id("import-preview-button").click()
    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("20 questions understood, 3 skipped")
    expect(page.get_by_test_id("understood")).to_have_count(20)
    expect(page.get_by_test_id("skipped").filter(has_text="Reflection")).to_contain_text(
        "“essay” questions are not supported"
    )
    page.locator("#id_publish").check()
    page.get_by_test_id("import-confirm").click()
    expect(page).to_have_url(re.compile(rf"/admin/pages/{target.pk}/edit/$"))
    expect(page.locator(".messages")).to_contain_text("20 questions was added")
    target = LessonPage.objects.get(pk=target.pk)
    (quiz,) = quizzes_in(target.body.raw_data)
    assert len(quiz.questions) == 20

    log_in(page, student.username)
    page.goto(target.url)
    form = page.get_by_test_id("quiz")
    expect(form.get_by_test_id("question")).to_have_count(20)
    short = form.get_by_test_id("question").filter(has_text="abbreviation AI")
    expect(short).not_to_contain_text("artificial intelligence")  # the answer stays hidden
    short.locator("input[type=text]").fill("Artificial Intelligence")
    form.get_by_test_id("question").filter(has_text="bits are in one byte").locator("input").fill(
        "8"
    )
    padlock = form.get_by_test_id("question").filter(has_text="padlock")
    padlock.locator("label.choice", has_text="False").locator("input").check()
    form.get_by_test_id("quiz-check").click()
    expect(form.get_by_test_id("question").filter(has_text="abbreviation AI")).to_have_class(
        re.compile(r"\bright\b")
    )
    expect(page.get_by_test_id("quiz-score")).to_contain_text("3 of 20 right")
    assert QuizAttempt.objects.filter(student=student, is_correct=True).count() == 3
