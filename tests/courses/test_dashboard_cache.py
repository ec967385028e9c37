"""The student's panel of the dashboard is cached (people.panels): read from the cache, in
two queries, until something it shows changes; then the change shows at once, whoever
made it (the student, a teacher, an author, an admin). Each student sees their own
panel, in their language; what depends on the clock moves while it is cached."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from courses import services
from courses.models import LessonPage
from credentials import services as credential_services
from curricula.models import Competence
from grading import services as grading_services
from grading.models import CellResult, Submission
from people import panels
from people.models import Role
from tests.credentials.conftest import Classroom
from tests.factories import CohortFactory, MembershipFactory, student_in, teacher_of
from tests.grading.factories import ExerciseFactory

from .pages import ids, lesson
from .test_dashboard import STUDENT_DASHBOARD_CACHED_QUERIES, assigned_course

pytestmark = pytest.mark.django_db


def dashboard(client, language: str = "en") -> str:
    response = client.get(f"/{language}/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def cached(client, django_assert_num_queries, language: str = "en") -> str:
    """The dashboard, its panel read from the cache."""
    with django_assert_num_queries(STUDENT_DASHBOARD_CACHED_QUERIES):
        return dashboard(client, language)


def panel(html: str) -> str:
    """The student's panel of a dashboard (the page around it has a fresh CSRF token)."""
    return html.split('data-testid="student-home"')[1].split("</section>")[0]


def answer(student, quizzed, right: bool = True) -> None:
    _quiz, questions, choices = ids(quizzed)
    services.quiz_answer(
        student=student,
        lesson=quizzed,
        question_id=questions[0],
        answer=[choices[0][1 if right else 0]],
    )


def graded(exercise, student, *, total: float, max_total: float = 6) -> Submission:
    return Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=1,
        origin=Submission.Origin.BROWSER,
        notebook={},
        status=Submission.Status.GRADED,
        total=total,
        raw_total=total,
        max_total=max_total,
        graded_at=timezone.now(),
    )


# ---------------------------------------------------------------------------------------
# What the student does
# ---------------------------------------------------------------------------------------
def test_the_panel_is_cached_until_the_student_answers_a_quiz(
    client, cohort, teacher, django_assert_num_queries
):
    _course, quizzed = assigned_course(cohort, teacher)
    student = student_in(cohort)
    client.force_login(student)
    first = dashboard(client)
    assert panel(cached(client, django_assert_num_queries)) == panel(first)
    assert 'data-percent="0"' in first and 'data-testid="skill-chart"' not in first

    answer(student, quizzed)
    html = dashboard(client)

    assert 'data-testid="course-card" data-percent="50"' in html
    assert 'data-testid="recent-result"' in html and "100% ✓" in html  # the quiz's result
    assert 'data-competence="3.4" data-percent="100"' in html  # its evidence
    assert panel(cached(client, django_assert_num_queries)) == panel(html)


def test_opening_and_reading_lessons_show_at_once(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher)
    reading = LessonPage.objects.child_of(a_course).get(title__endswith="reading")
    student = student_in(cohort)
    client.force_login(student)
    assert "last activity" not in dashboard(client)

    assert client.get(reading.url).status_code == 200  # the lesson page records the visit
    assert "last activity 0\xa0minutes ago" in dashboard(client)

    services.lesson_mark_read(student=student, lesson=reading)
    html = dashboard(client)
    assert 'data-percent="50"' in html and "1 of 2 lessons" in html


# ---------------------------------------------------------------------------------------
# What authors and teachers do
# ---------------------------------------------------------------------------------------
def test_a_published_lesson_and_a_renamed_course_show_at_once(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher)
    client.force_login(student_in(cohort))
    assert "0 of 2 lessons" in dashboard(client)

    lesson(a_course, title="Python basics: loops", completion_rule="read")
    assert "0 of 3 lessons" in dashboard(client)

    a_course.title = "Python, first steps"
    a_course.save_revision().publish()
    html = dashboard(client)
    assert "Python, first steps" in html and "Python basics</strong>" not in html


def test_a_new_due_date_and_a_newly_assigned_course_show_at_once(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher, due_in_days=14)
    client.force_login(student_in(cohort))
    dashboard(client)

    later = timezone.now() + dt.timedelta(days=40)
    services.course_assign(course=a_course, cohort=cohort, assigned_by=teacher, due_at=later)
    html = dashboard(client)
    assert f"due {date_format(timezone.localtime(later), 'SHORT_DATE_FORMAT')}" in html

    assigned_course(cohort, teacher, title="Data science")
    assert dashboard(client).count('data-testid="course-card"') == 2


def test_a_teachers_score_and_a_regrade_show_at_once(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher)
    student = student_in(cohort)
    exercise = ExerciseFactory(course=a_course, title="Squares")
    submission = graded(exercise, student, total=3)
    CellResult.objects.create(
        submission=submission,
        grade_id="explain",
        position=0,
        status=CellResult.Status.NEEDS_MANUAL,
        max_score=3,
    )
    CellResult.objects.create(
        submission=submission,
        grade_id="tests",
        position=1,
        status=CellResult.Status.PASSED,
        auto_score=3,
        max_score=3,
    )
    client.force_login(student)
    assert "50%" in dashboard(client)

    grading_services.cell_grade_manually(
        cell=submission.cells.get(grade_id="explain"), score=3, teacher=teacher
    )
    assert "Squares" in dashboard(client) and "100% ✓" in dashboard(client)

    grading_services.submission_regrade(submission=submission)  # waits for the grader again
    assert 'data-testid="recent-result"' not in dashboard(client)


def test_a_credential_issued_then_revoked_shows_at_once(client, django_capture_on_commit_callbacks):
    room = Classroom()
    student = room.student()
    client.force_login(student)
    with django_capture_on_commit_callbacks(execute=True):
        room.complete(student)
    assert 'data-testid="credential"' not in dashboard(client)

    credential = credential_services.credential_issue(
        student_id=student.pk, course_id=room.course.pk
    )
    html = dashboard(client)
    assert 'data-testid="credential"' in html and "credential-revoked" not in html

    credential_services.credential_revoke(credential_id=credential.pk, reason="Copied work.")
    assert 'data-testid="credential-revoked"' in dashboard(client)


def test_renamed_classes_schools_competences_and_exercises_show_at_once(client, cohort, teacher):
    a_course, quizzed = assigned_course(cohort, teacher)
    student = student_in(cohort)
    answer(student, quizzed)
    graded(ExerciseFactory(course=a_course, title="Squares"), student, total=6)
    client.force_login(student)
    dashboard(client)

    cohort.name = "9-B"
    cohort.save()
    cohort.institution.name_en = "Lyceum No. 1"
    cohort.institution.save()
    competence = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    competence.name_en = "Coding"
    competence.save()
    exercise = ExerciseFactory._meta.model.objects.get(title="Squares")
    exercise.title = "Cubes"
    exercise.save()
    html = dashboard(client)

    assert "9-B · Lyceum No. 1" in html
    assert "3.4 Coding" in html
    assert "Cubes" in html and "Squares" not in html


def test_joining_a_class_shows_it_and_its_courses_at_once(client, cohort, teacher):
    assigned_course(cohort, teacher, title="Python basics")
    other = CohortFactory(name="Robotics club")
    assigned_course(other, teacher_of(other), title="Robots")
    student = student_in(cohort)
    client.force_login(student)
    assert "Robot" not in dashboard(client)

    MembershipFactory(user=student, cohort=other, role=Role.STUDENT)
    html = dashboard(client)

    assert "Robotics club" in html and html.count('data-testid="course-card"') == 2


# ---------------------------------------------------------------------------------------
# Whose, in which language, and when
# ---------------------------------------------------------------------------------------
def test_two_students_see_their_own_panels_from_a_warm_cache(
    client, cohort, teacher, django_assert_num_queries
):
    _course, quizzed = assigned_course(cohort, teacher)
    aysel, murad = student_in(cohort), student_in(cohort)
    answer(aysel, quizzed, right=True)
    answer(murad, quizzed, right=False)
    for student in (aysel, murad, aysel, murad):  # both warm, each read twice
        client.force_login(student)
        dashboard(client)

    client.force_login(aysel)
    mine = panel(cached(client, django_assert_num_queries))
    client.force_login(murad)
    theirs = panel(cached(client, django_assert_num_queries))

    assert 'data-percent="50"' in mine and "100% ✓" in mine
    assert 'data-percent="0"' in theirs and "100% ✓" not in theirs and "0%" in theirs
    answer(murad, quizzed, right=True)  # Murad's work changes Murad's panel only
    client.force_login(aysel)
    assert panel(cached(client, django_assert_num_queries)) == mine


def test_each_language_has_its_own_panel(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher)
    client.force_login(student_in(cohort))
    assert f'href="{a_course.url}"' in dashboard(client, "en")  # /en/...

    html = dashboard(client, "ru")

    assert f'href="/ru/{a_course.url.split("/", 2)[2]}"' in html


def test_last_activity_and_overdue_move_with_the_clock_while_cached(
    client, cohort, teacher, django_assert_num_queries
):
    a_course, _quizzed = assigned_course(cohort, teacher, due_in_days=1)
    reading = LessonPage.objects.child_of(a_course).get(title__endswith="reading")
    client.force_login(student_in(cohort))
    client.get(reading.url)
    html = dashboard(client)
    assert "last activity 0\xa0minutes ago" in html and 'class="overdue"' not in html

    later = timezone.now() + dt.timedelta(days=3, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        html = cached(client, django_assert_num_queries)

    assert "last activity 3\xa0days ago" in html and 'class="overdue"' in html


def test_the_clock_marks_are_filled_in_and_escaped():
    at = timezone.now()
    html = f"<p>{panels.late_timesince(at)}|{panels.late_past(at, 'overdue')}</p>"

    assert panels.fill_in_time(html, at + dt.timedelta(hours=2)) == "<p>2\xa0hours|overdue</p>"
    assert panels.fill_in_time(html, at - dt.timedelta(hours=2)) == "<p>0\xa0minutes|</p>"
    assert panels.late_timesince(None) == panels.late_past(None, "overdue") == ""
