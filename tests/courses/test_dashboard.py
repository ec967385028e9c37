"""The student's dashboard: assigned courses with progress and due dates, the next step,
recent quiz and exercise results, and the skill profile drawn as SVG on the server; the
teacher's dashboard links to each cohort's progress. Both run a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.charts import skill_profile_svg
from courses.selectors import SkillBar
from people import panels
from tests.factories import student_in

from .pages import course, ids, lesson, question, quiz_lesson

pytestmark = pytest.mark.django_db

# Drawing the student's panel: the session, the user, their classes, enrolments, courses'
# and lessons' progress, evidence and its competences, graded exercises, credentials (the
# courses' outlines are cached until a page changes). Then the panel is cached
# (people.panels) until something it shows changes.
STUDENT_DASHBOARD_QUERIES = 10
# with the panel cached: the session and the user
STUDENT_DASHBOARD_CACHED_QUERIES = 2
# 4 of them grading's: the needs-grading count, its share per cohort, the cohorts' links
TEACHER_DASHBOARD_QUERIES = 16


def assigned_course(cohort, teacher, title="Python basics", due_in_days=14):
    a_course = course(title=title)
    quizzed = quiz_lesson(a_course, question("2 + 2 = ?"), title=f"{title}: arithmetic")
    lesson(a_course, title=f"{title}: reading", completion_rule="read")
    services.course_assign(
        course=a_course,
        cohort=cohort,
        assigned_by=teacher,
        due_at=timezone.now() + timedelta(days=due_in_days),
    )
    return a_course, quizzed


def dashboard(client) -> str:
    return client.get(reverse("dashboard")).content.decode()


def test_the_dashboard_shows_courses_due_dates_and_the_next_step(client, cohort, teacher):
    _a_course, quizzed = assigned_course(cohort, teacher)
    student = student_in(cohort)
    client.force_login(student)

    html = dashboard(client)

    assert 'data-testid="student-home"' in html  # the role's section is still there
    assert 'data-testid="course-card" data-percent="0"' in html
    assert "Python basics" in html and "0 of 2 lessons" in html
    assert 'data-testid="course-due"' in html
    assert 'data-testid="next-step"' in html and quizzed.url in html
    assert "Your quiz and exercise results will appear here." in html
    assert 'data-testid="skill-chart"' not in html


def test_answering_a_quiz_moves_progress_results_and_the_skill_profile(client, cohort, teacher):
    _a_course, quizzed = assigned_course(cohort, teacher)
    student = student_in(cohort)
    client.force_login(student)
    _quiz, questions, choices = ids(quizzed)

    services.quiz_answer(
        student=student, lesson=quizzed, question_id=questions[0], answer=[choices[0][1]]
    )
    html = dashboard(client)

    assert 'data-testid="course-card" data-percent="50"' in html
    assert 'data-testid="recent-result"' in html and "100% ✓" in html
    assert 'data-testid="skill-chart"' in html
    assert 'data-competence="3.4" data-percent="100"' in html
    assert "<script" not in html.split('data-testid="skill-profile"')[1].split("</section>")[0]


def test_the_skill_chart_is_plain_escaped_svg():
    bar = SkillBar(1, "3.4", "<b>Programming</b>", "DigComp", 67, 3, 4)

    svg = str(skill_profile_svg([bar]))

    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "&lt;b&gt;Programming&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'width="201"' in svg  # 67 % of the 300-pixel bar
    assert "67% · level 3" in svg


def test_an_overdue_course_is_flagged(client, cohort, teacher):
    assigned_course(cohort, teacher, due_in_days=-1)
    client.force_login(student_in(cohort))
    assert 'class="overdue"' in dashboard(client)


def test_the_teacher_dashboard_links_each_cohort_to_its_progress(client, cohort, teacher):
    a_course, _quizzed = assigned_course(cohort, teacher)
    client.force_login(teacher)

    html = dashboard(client)

    assert 'data-testid="teacher-home"' in html and 'data-testid="teacher-courses"' in html
    progress = reverse("courses:cohort-progress", args=[cohort.pk])
    assert f"{progress}?course={a_course.pk}" in html


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(context)


def count_drawing_queries(client, student) -> int:
    """The queries of a dashboard whose panel is drawn again (the rest cached: roles)."""
    client.get(reverse("dashboard"))
    panels.student_changed(student.pk)
    return count_queries(client)


def test_the_student_dashboard_runs_the_same_queries_for_1_or_3_courses_and_any_class(
    client, cohort, teacher, django_assert_num_queries
):
    _a_course, quizzed = assigned_course(cohort, teacher, title="First")
    student = student_in(cohort)
    for _ in range(2):
        student_in(cohort)
    _quiz, questions, choices = ids(quizzed)
    services.quiz_answer(
        student=student, lesson=quizzed, question_id=questions[0], answer=[choices[0][1]]
    )
    client.force_login(student)
    client.get(reverse("dashboard"))  # warm the site-root cache
    few = count_drawing_queries(client, student)
    with django_assert_num_queries(STUDENT_DASHBOARD_CACHED_QUERIES):
        client.get(reverse("dashboard"))

    for title in ("Second", "Third"):
        _other, other_quiz = assigned_course(cohort, teacher, title=title)
        _q, other_questions, other_choices = ids(other_quiz)
        services.quiz_answer(
            student=student,
            lesson=other_quiz,
            question_id=other_questions[0],
            answer=[other_choices[0][0]],
        )
    for _ in range(27):
        student_in(cohort)
    many = count_drawing_queries(client, student)

    assert few == many == STUDENT_DASHBOARD_QUERIES
    with django_assert_num_queries(STUDENT_DASHBOARD_CACHED_QUERIES):
        html = client.get(reverse("dashboard")).content.decode()
    assert html.count('data-testid="course-card"') == 3


def test_the_teacher_dashboard_runs_the_same_queries_for_3_or_30_students(
    client, cohort, teacher, django_assert_max_num_queries
):
    assigned_course(cohort, teacher)
    for _ in range(3):
        student_in(cohort)
    client.force_login(teacher)
    client.get(reverse("dashboard"))
    few = count_queries(client)
    for _ in range(27):
        student_in(cohort)
    client.get(reverse("dashboard"))  # memberships changed: everybody's roles read again
    many = count_queries(client)

    assert few == many
    with django_assert_max_num_queries(TEACHER_DASHBOARD_QUERIES):
        client.get(reverse("dashboard"))
