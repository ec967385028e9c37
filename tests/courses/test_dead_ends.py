"""No dead ends: an institution admin who follows a course of their cohorts sees what it
teaches (its outline), not a 403 that offers "Enrol in this course"; and a quiz's message
after a check and the quiz itself agree on counts, so that the answers a page shows
filled in again do not use up attempts the student never made."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import QuizAttempt
from courses.services import course_assign
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    admin_of,
    analyst,
    student_in,
    teacher_of,
)

from .pages import choice, course, ids, lesson, question, quiz, student_of

pytestmark = pytest.mark.django_db

SECRET_BODY = "The body of the lesson, for its students."


@pytest.fixture
def assigned():
    """An open course with two lessons, assigned to a cohort of a school."""
    cohort = CohortFactory()
    a_course = course(title="Cyber hygiene", is_open=True)
    first = lesson(
        a_course,
        title="Strong passwords",
        body=[{"type": "paragraph", "value": f"<p>{SECRET_BODY}</p>"}],
    )
    lesson(a_course, title="Phishing")
    course_assign(course=a_course, cohort=cohort, assigned_by=teacher_of(cohort))
    return cohort, a_course, first


# --- who does not get the outline (attacks first) ------------------------------------------


def test_a_student_not_enrolled_still_gets_the_lock_not_the_outline(client, assigned):
    _cohort, _course, first = assigned
    client.force_login(student_in(CohortFactory()))

    response = client.get(first.url)

    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="lesson-locked"' in html and SECRET_BODY not in html


def test_an_admin_who_studies_is_treated_as_a_student(client, assigned):
    cohort, _course, first = assigned
    user = admin_of(cohort.institution)
    MembershipFactory(user=user, cohort=CohortFactory(), role="student")  # and studies
    client.force_login(user)

    assert client.get(first.url).status_code == 403


def test_the_outline_never_shows_a_lessons_body(client, assigned):
    cohort, _course, first = assigned
    client.force_login(admin_of(cohort.institution))

    html = client.get(first.url).content.decode()

    assert SECRET_BODY not in html


# --- institution admins and analysts: the outline ------------------------------------------


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_a_lesson_link_shows_the_course_outline_to_an_admin(client, assigned, role):
    cohort, a_course, first = assigned
    client.force_login(admin_of(cohort.institution) if role == "admin" else analyst())

    response = client.get(first.url)

    assert response.status_code == 200
    html = response.content.decode()
    outline = html.split('data-testid="course-outline"')[1].split("</ol>")[0]
    assert "Strong passwords" in outline and "Phishing" in outline
    assert 'aria-current="page"' in outline
    assert "Enrol in this course" not in html and 'data-testid="self-enrol"' not in html
    assert a_course.url in html  # "About the course"


def test_the_course_page_shows_an_admin_the_outline_without_dead_links(client, assigned):
    cohort, a_course, _first = assigned
    client.force_login(admin_of(cohort.institution))

    html = client.get(a_course.url).content.decode()

    assert 'data-testid="course-outline-only"' in html
    assert "Enrol in this course" not in html
    outline = html.split('data-testid="course-outline"')[1].split("</ol>")[0]
    assert "Strong passwords" in outline and "<a " not in outline


def test_the_cohort_page_course_link_leads_an_admin_somewhere(client, assigned):
    cohort, a_course, _first = assigned
    client.force_login(admin_of(cohort.institution))

    html = client.get(reverse("cohort-detail", args=[cohort.pk])).content.decode()
    assert a_course.url in html

    assert client.get(a_course.url).status_code == 200


def test_students_and_teachers_keep_their_pages(client, assigned):
    cohort, a_course, first = assigned
    student = student_in(cohort)  # enrolled through the assignment
    client.force_login(student)
    html = client.get(a_course.url).content.decode()
    assert 'data-testid="course-outline-only"' not in html
    assert f'href="{first.url}"' in html
    assert SECRET_BODY in client.get(first.url).content.decode()

    client.force_login(teacher_of(cohort))
    assert SECRET_BODY in client.get(first.url).content.decode()


# --- a quiz's message and the quiz agree -----------------------------------------------------


@pytest.fixture
def two_questions():
    page = lesson(
        course(),
        body=[
            quiz(
                question("2 + 2 = ?", choices=[choice("4", correct=True), choice("5")]),
                question("3 + 3 = ?", choices=[choice("6", correct=True), choice("7")]),
                max_attempts=3,
                explanations="right",
            )
        ],
        completion_rule="quiz",
    )
    return page, student_of(page.get_parent().specific)


def check(client, page, **answers):
    quiz_id, _questions, _choices = ids(page)
    return client.post(
        reverse("courses:quiz-submit", args=[page.pk, quiz_id]), answers, follow=True
    ).content.decode()


def test_an_answer_shown_again_unchanged_uses_no_attempt(client, two_questions):
    page, student = two_questions
    client.force_login(student)
    _quiz, (q1, q2), ((right1, _w1), (right2, _w2)) = ids(page)
    check(client, page, **{f"q-{q1}": right1})

    # the page shows the first answer ticked; the student answers the second and checks
    html = check(client, page, **{f"q-{q1}": right1, f"q-{q2}": right2})

    assert QuizAttempt.objects.filter(student=student, question_id=q1).count() == 1
    first = html.split(f'data-question="{q1}"')[1].split("</fieldset>")[0]
    assert "2 attempts left" in first  # one check of three, as the student made
    assert "Checked. 2 of 2 questions of this quiz are right now." in html
    assert 'data-testid="quiz-score">2 of 2 right' in html


def test_checking_without_changing_anything_says_so_and_uses_nothing(client, two_questions):
    page, student = two_questions
    client.force_login(student)
    _quiz, (q1, _q2), ((_right1, wrong1), _second) = ids(page)
    check(client, page, **{f"q-{q1}": wrong1})

    html = check(client, page, **{f"q-{q1}": wrong1})

    assert "You changed no answer since your last check" in html
    assert QuizAttempt.objects.filter(student=student).count() == 1
    assert "2 attempts left" in html


def test_the_message_counts_the_quizs_questions_as_the_quiz_does(client, two_questions):
    page, student = two_questions
    client.force_login(student)
    _quiz, (q1, q2), ((right1, _w1), (_right2, wrong2)) = ids(page)

    html = check(client, page, **{f"q-{q1}": right1, f"q-{q2}": wrong2})

    assert "Checked. 1 of 2 questions of this quiz are right now." in html
    assert 'data-testid="quiz-score">1 of 2 right' in html
