"""A cohort's progress page is read from the cache (courses.selectors.cohort_progress) until
one of its students' progress, its roster or a name changes; then the teacher sees the
change at once, whoever made it. Each cohort's page shows its own students only."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services
from courses.models import LessonPage
from people.models import Role
from people.services import membership_create
from tests.factories import CohortFactory, student_in

from .pages import ids
from .test_dashboard import assigned_course
from .test_lesson_visits import redis_cache  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def progress_page(client, cohort, a_course) -> str:
    url = reverse("courses:cohort-progress", args=[cohort.pk]) + f"?course={a_course.pk}"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, student) -> str:
    found = re.search(rf'<tr[^>]*data-student="{re.escape(student.username)}".*?</tr>', html, re.S)
    assert found, f"no row for {student.username}"
    return found.group(0)


def cells(html: str, student) -> list[str]:
    return re.findall(r'<td class="cell (\w+)', row(html, student))


def test_the_matrix_is_read_once_then_from_the_cache(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher)
    student_in(cohort)
    client.force_login(teacher)
    progress_page(client, cohort, a_course)

    with CaptureQueriesContext(connection) as captured:
        progress_page(client, cohort, a_course)

    assert not any("courses_lessonprogress" in q["sql"] for q in captured)


def test_a_lesson_opened_and_a_quiz_passed_show_at_once(client, cohort, teacher):
    a_course, quizzed = assigned_course(cohort, teacher)
    student = student_in(cohort)
    client.force_login(teacher)
    assert cells(progress_page(client, cohort, a_course), student) == ["not_started"] * 2

    services.lesson_visit(student=student, lesson=quizzed)
    assert cells(progress_page(client, cohort, a_course), student) == ["visited", "not_started"]

    _quiz, questions, choices = ids(quizzed)
    right = choices[0][1]  # (as in test_dashboard_cache.answer)
    services.quiz_answer(student=student, lesson=quizzed, question_id=questions[0], answer=[right])
    html = progress_page(client, cohort, a_course)
    assert cells(html, student) == ["completed", "not_started"]
    assert "50%" in row(html, student)


def test_views_written_in_bulk_show_once_flushed(client, cohort, teacher, redis_cache):  # noqa: F811
    a_course, _quizzed = assigned_course(cohort, teacher)
    reading = LessonPage.objects.child_of(a_course).get(title__endswith="reading")
    student = student_in(cohort)
    client.force_login(teacher)
    assert cells(progress_page(client, cohort, a_course), student)[1] == "not_started"

    client.force_login(student)
    assert client.get(reading.url).status_code == 200  # buffered in Redis
    services.lesson_visits_flush()

    client.force_login(teacher)
    assert cells(progress_page(client, cohort, a_course), student)[1] == "visited"


def test_a_new_member_and_a_renamed_student_show_at_once(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher)
    ana = student_in(cohort, first_name="Ana", last_name="Aliyeva")
    client.force_login(teacher)
    assert "Aliyeva Ana" in progress_page(client, cohort, a_course)

    bob = student_in(cohort, first_name="Bob", last_name="Babayev")
    ana.last_name = "Mammadova"
    ana.save()

    html = progress_page(client, cohort, a_course)
    assert "Babayev Bob" in row(html, bob)
    assert "Mammadova Ana" in row(html, ana) and "Aliyeva" not in html


def test_two_cohorts_of_one_course_each_show_their_own_students(client, cohort, teacher):
    a_course, quizzed = assigned_course(cohort, teacher)
    other = CohortFactory(name="9-B")
    membership_create(user=teacher, role=Role.TEACHER, cohort=other)
    services.course_assign(course=a_course, cohort=other, assigned_by=teacher)
    ana, bob = student_in(cohort), student_in(other)
    client.force_login(teacher)
    progress_page(client, cohort, a_course)
    progress_page(client, other, a_course)  # both warm

    services.lesson_visit(student=bob, lesson=quizzed)

    mine, theirs = progress_page(client, cohort, a_course), progress_page(client, other, a_course)
    assert ana.username in mine and bob.username not in mine
    assert bob.username in theirs and ana.username not in theirs
    assert cells(theirs, bob)[0] == "visited" and cells(mine, ana)[0] == "not_started"
