"""Teachers assign courses to the cohorts they teach, follow the cohort's progress (who is
behind), read quiz answer statistics and export CSV; pages run a fixed number of queries
whatever the cohort's size."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import CourseAssignment, Enrolment
from people.models import Membership, Role
from people.services import membership_create, membership_delete
from tests.factories import CohortFactory, InstitutionFactory, UserFactory, student_in, teacher_of

from .pages import course, ids, lesson, question, quiz_lesson

pytestmark = pytest.mark.django_db

# Queries of each teacher page, whatever the number of students (see the tests below).
# The progress page and its CSV: the session and the user; the cohort's students and their
# lessons (two more queries when their progress changed since: tests/courses/
# test_cohort_progress_cache.py), the cohort with its courses, the course's outline and the
# cohorts the teacher teaches come from the cache (courses.selectors,
# people.access.taught_cohort_ids).
PROGRESS_PAGE_QUERIES = 2
CSV_QUERIES = 2
STATISTICS_QUERIES = 12
COHORT_PAGE_QUERIES = 19  # 3 of them grading's section: the cohort's share of the queue


@pytest.fixture
def teacher(cohort):
    return teacher_of(cohort, username="elvin")


@pytest.fixture
def a_course():
    return course(title="Python basics")


def test_a_teacher_assigns_a_course_from_the_course_page_to_a_cohort_they_teach(
    client, cohort, teacher, a_course
):
    lesson(a_course)
    students = [student_in(cohort) for _ in range(3)]
    elsewhere = CohortFactory(name="10-B")
    client.force_login(teacher)

    html = client.get(a_course.url).content.decode()
    assert 'data-testid="assign-course"' in html
    assert "9-A" in html and "10-B" not in html  # only cohorts they teach

    response = client.post(
        reverse("courses:course-assign", args=[a_course.pk]),
        {"cohort": cohort.pk, "starts_on": "2026-09-15", "due_on": "2026-12-20"},
    )

    assert response.status_code == 302
    assignment = CourseAssignment.objects.get()
    assert timezone.localtime(assignment.due_at).date().isoformat() == "2026-12-20"
    assert assignment.assigned_by == teacher
    assert set(Enrolment.objects.values_list("student", flat=True)) == {s.pk for s in students}
    # a cohort they do not teach is refused
    refused = client.post(
        reverse("courses:course-assign", args=[a_course.pk]), {"cohort": elsewhere.pk}
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    # a student joining later is enrolled too
    later = student_in(cohort)
    assert Enrolment.objects.filter(student=later, course=a_course).exists()


def test_a_teacher_assigns_from_the_cohort_page(client, cohort, teacher, a_course):
    lesson(a_course)
    client.force_login(teacher)
    cohort_html = client.get(reverse("cohort-detail", args=[cohort.pk])).content.decode()
    assert 'data-testid="cohort-assign"' in cohort_html

    url = reverse("courses:cohort-assign", args=[cohort.pk])
    assert "Python basics" in client.get(url).content.decode()
    bad = client.post(
        url, {"course": a_course.pk, "starts_on": "2026-12-01", "due_on": "2026-11-01"}
    )
    assert "The due date must be on or after the start date." in bad.content.decode()

    client.post(url, {"course": a_course.pk, "due_on": "2027-01-31"})

    assert CourseAssignment.objects.get(cohort=cohort).course == a_course
    cohort_html = client.get(reverse("cohort-detail", args=[cohort.pk])).content.decode()
    assert "Python basics" in cohort_html


def test_only_the_cohorts_teachers_assign_and_follow(client, cohort, a_course):
    client.force_login(teacher_of(CohortFactory()))
    assert client.get(reverse("courses:cohort-assign", args=[cohort.pk])).status_code == 403
    assert client.get(reverse("courses:cohort-progress", args=[cohort.pk])).status_code == 403
    assert client.get(reverse("courses:quiz-statistics", args=[cohort.pk])).status_code == 403
    client.force_login(student_in(cohort))
    assert client.get(reverse("courses:cohort-progress", args=[cohort.pk])).status_code == 403
    assert client.get(reverse("courses:course-assign", args=[a_course.pk])).status_code == 403


def classroom(cohort, teacher, a_course, *, students: int, due_in_days: int | None = 10):
    """A course of three lessons assigned to the cohort, half-way through its period."""
    quizzed = quiz_lesson(a_course, question("2 + 2 = ?"), title="Arithmetic")
    lesson(a_course, title="Reading", completion_rule="read")
    lesson(a_course, title="Summary", completion_rule="read")
    now = timezone.now()
    services.course_assign(
        course=a_course,
        cohort=cohort,
        assigned_by=teacher,
        starts_at=now - timedelta(days=10) if due_in_days else None,
        due_at=now + timedelta(days=due_in_days) if due_in_days else None,
    )
    pupils = [student_in(cohort, last_name=f"Pupil{i:02d}") for i in range(students)]
    _quiz, questions, choices = ids(quizzed)
    for i, pupil in enumerate(pupils):
        if i % 3 == 0:
            continue  # never started: behind
        services.lesson_visit(student=pupil, lesson=quizzed)
        right = choices[0][1] if i % 2 else choices[0][0]
        services.quiz_answer(
            student=pupil, lesson=quizzed, question_id=questions[0], answer=[right]
        )
    return pupils


def test_the_progress_page_shows_students_by_lessons_and_who_is_behind(
    client, cohort, teacher, a_course
):
    pupils = classroom(cohort, teacher, a_course, students=6)
    client.force_login(teacher)

    response = client.get(reverse("courses:cohort-progress", args=[cohort.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="progress-row"') == 6
    assert "Arithmetic" in html and "Reading" in html and "Summary" in html
    # half-way through the period (expected 50 %), a third done is behind; nobody is ahead
    assert html.count('data-behind="true"') == 6
    assert f'data-student="{pupils[1].username}"' in html
    assert "expected by now 50%" in html
    assert 'data-testid="progress-csv"' in html


def test_without_a_due_date_the_ones_far_below_the_average_are_behind(
    client, cohort, teacher, a_course
):
    pupils = classroom(cohort, teacher, a_course, students=6, due_in_days=None)
    reading = a_course.get_children().live().specific()[1]
    for pupil in pupils[1:]:
        services.lesson_mark_read(student=pupil, lesson=reading)
    client.force_login(teacher)

    html = client.get(reverse("courses:cohort-progress", args=[cohort.pk])).content.decode()

    behind = [p.username for p in pupils if f'data-student="{p.username}" data-behind' in html]
    assert behind == [pupils[0].username]  # 0 % while the others reach 33-66 %


def test_the_csv_export_has_a_row_per_student_and_a_column_per_lesson(
    client, cohort, teacher, a_course
):
    pupils = classroom(cohort, teacher, a_course, students=4)
    client.force_login(teacher)

    response = client.get(reverse("courses:cohort-progress-csv", args=[cohort.pk]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Last name", "First name", "Username", "Percent"]
    assert rows[0][-3:] == ["Arithmetic", "Reading", "Summary"]
    assert len(rows) == 1 + len(pupils)
    by_user = {row[2]: row for row in rows[1:]}
    assert by_user[pupils[1].username][7] == "completed (100%)"  # right answer
    assert by_user[pupils[0].username][7] == "not started"


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(client, cohort, teacher, a_course):
    classroom(cohort, teacher, a_course, students=1)
    student_in(cohort, username="mallory", last_name='=HYPERLINK("http://x.example","9-A")')
    client.force_login(teacher)

    response = client.get(reverse("courses:cohort-progress-csv", args=[cohort.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    mallory = next(row for row in rows[1:] if row[2] == "mallory")
    # a spreadsheet shows a cell starting with an apostrophe as text, never runs it
    assert mallory[0] == '\'=HYPERLINK("http://x.example","9-A")'


def test_quiz_statistics_show_first_try_and_latest_answers_per_choice(
    client, cohort, teacher, a_course
):
    classroom(cohort, teacher, a_course, students=6)
    client.force_login(teacher)

    html = client.get(reverse("courses:quiz-statistics", args=[cohort.pk])).content.decode()

    assert "2 + 2 = ?" in html
    assert "4 students answered" in html
    assert "2 right now, 2 right at the first try" in html
    assert (
        '<tr class="correct"><td>4 <span class="badge ok">correct</span></td><td class="num">2</td>'
        in html
    )


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        ("courses:cohort-progress", PROGRESS_PAGE_QUERIES),
        ("courses:cohort-progress-csv", CSV_QUERIES),
        ("courses:quiz-statistics", STATISTICS_QUERIES),
        ("cohort-detail", COHORT_PAGE_QUERIES),
    ],
)
def test_teacher_pages_run_the_same_queries_for_3_or_30_students(
    client, cohort, teacher, a_course, django_assert_max_num_queries, name, queries
):
    pupils = classroom(cohort, teacher, a_course, students=3)
    client.force_login(teacher)
    url = reverse(name, args=[cohort.pk])
    client.get(url)  # warm the site-root cache, as any running server has

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    few = count()
    for i in range(27):
        pupils.append(student_in(cohort, last_name=f"Extra{i:02d}"))
        services.lesson_visit(student=pupils[-1], lesson=a_course.get_children().specific()[0])
    client.get(url)  # new memberships retired the cached roles: warm them again
    many = count()

    assert few == many
    with django_assert_max_num_queries(queries):
        client.get(url)


# ---------------------------------------------------------------------------------------
# The progress page's caches: what each reader sees, at once after a change
# ---------------------------------------------------------------------------------------


def percent_of(html: str, username: str) -> int:
    row = re.search(rf'data-student="{username}".*?<td class="num">(\d+)%</td>', html, re.S)
    assert row, f"no row for {username}"
    return int(row.group(1))


def test_the_progress_page_runs_the_same_queries_for_3_or_30_students_and_10_lessons(
    client, cohort, teacher, a_course, django_assert_num_queries
):
    pupils = classroom(cohort, teacher, a_course, students=3)
    client.force_login(teacher)
    url = reverse("courses:cohort-progress", args=[cohort.pk])
    client.get(url)  # warm the caches, as any running server has them
    with django_assert_num_queries(PROGRESS_PAGE_QUERIES):
        client.get(url)

    lessons = [lesson(a_course, title=f"More {i}", completion_rule="read") for i in range(7)]
    for i in range(27):
        pupils.append(student_in(cohort, last_name=f"Extra{i:02d}"))
        for more in lessons[: i % 8]:
            services.lesson_mark_read(student=pupils[-1], lesson=more)
    client.get(url)  # new pages and memberships retired the cached outline and roles

    with django_assert_num_queries(PROGRESS_PAGE_QUERIES):
        html = client.get(url).content.decode()
    assert html.count('data-testid="progress-row"') == 30
    assert html.count('class="lesson-col"') == 10
    assert percent_of(html, pupils[-1].username) == 20  # 2 of 10 lessons read


def test_the_progress_page_shows_new_lessons_titles_and_progress_at_once(
    client, cohort, teacher, a_course
):
    pupils = classroom(cohort, teacher, a_course, students=2, due_in_days=None)
    client.force_login(teacher)
    url = reverse("courses:cohort-progress", args=[cohort.pk])
    html = client.get(url).content.decode()  # every cache warm
    assert percent_of(html, pupils[0].username) == 0
    assert "Summary" in html and "Extra practice" not in html

    # the author renames a lesson and publishes a new one; a pupil reads a lesson
    summary = a_course.get_children().live().specific()[2]
    summary.title = "Summary and outlook"
    summary.save_revision().publish()
    lesson(a_course, title="Extra practice", completion_rule="read")
    services.lesson_mark_read(student=pupils[0], lesson=summary)

    html = client.get(url).content.decode()

    assert "Summary and outlook" in html and "Extra practice" in html
    assert html.count('class="lesson-col"') == 4
    assert percent_of(html, pupils[0].username) == 25  # 1 of 4 lessons


def test_the_progress_page_shows_a_renamed_cohort_and_a_new_course_at_once(
    client, cohort, teacher, a_course
):
    classroom(cohort, teacher, a_course, students=1)
    other = course(title="Spreadsheets")
    lesson(other)
    client.force_login(teacher)
    url = reverse("courses:cohort-progress", args=[cohort.pk])
    html = client.get(url).content.decode()  # every cache warm, no page changes after it
    assert "Spreadsheets" not in html

    cohort.name = "9-A (science)"
    cohort.save()
    cohort.institution.name_en = "School No. 6"
    cohort.institution.save()
    services.course_assign(course=other, cohort=cohort, assigned_by=teacher)

    html = client.get(url).content.decode()

    assert "9-A (science) · School No. 6" in html
    assert f'<option value="{other.pk}">Spreadsheets</option>' in html


def test_who_may_follow_a_cohort_changes_at_once_with_memberships_and_cohorts(
    client, cohort, teacher, a_course
):
    classroom(cohort, teacher, a_course, students=1)
    other = CohortFactory(name="10-B")
    services.course_assign(course=a_course, cohort=other, assigned_by=teacher)
    url = reverse("courses:cohort-progress", args=[cohort.pk])
    other_url = reverse("courses:cohort-progress", args=[other.pk])
    client.force_login(teacher)
    assert client.get(url).status_code == 200
    assert client.get(other_url).status_code == 403  # both answers cached now

    membership_create(user=teacher, role=Role.TEACHER, cohort=other)
    assert client.get(other_url).status_code == 200
    membership_delete(membership=Membership.objects.get(user=teacher, cohort=cohort))
    assert client.get(url).status_code == 403

    # a teacher of the whole school follows every class of it, a new one too, and no
    # longer one moved to another school
    head = UserFactory()
    membership_create(user=head, role=Role.TEACHER, institution=cohort.institution)
    client.force_login(head)
    assert client.get(url).status_code == 200
    new = CohortFactory(name="9-C", institution=cohort.institution)
    assert client.get(reverse("courses:cohort-progress", args=[new.pk])).status_code == 200
    cohort.institution = InstitutionFactory()
    cohort.save()
    assert client.get(url).status_code == 403


def test_two_teachers_see_only_their_own_cohorts_with_the_caches_warm(client, a_course):
    lesson(a_course, title="Only lesson", completion_rule="read")
    rooms = {}
    for name in ("alpha", "beta"):
        room = CohortFactory(name=f"Class {name}")
        teacher = teacher_of(room, username=f"teacher-{name}")
        services.course_assign(course=a_course, cohort=room, assigned_by=teacher)
        pupil = student_in(room, username=f"pupil-{name}")
        rooms[name] = (room, teacher, pupil)
    urls = {
        name: reverse("courses:cohort-progress", args=[room.pk])
        for name, (room, *_) in rooms.items()
    }

    for _round in range(2):  # the first round fills the caches, the second reads them
        for name, (_room, teacher, pupil) in rooms.items():
            other = "beta" if name == "alpha" else "alpha"
            client.force_login(teacher)
            html = client.get(urls[name]).content.decode()
            assert f'data-student="{pupil.username}"' in html and f"Class {name}" in html
            assert f"pupil-{other}" not in html and f"Class {other}" not in html
            assert client.get(urls[other]).status_code == 403


def test_a_cohort_without_students_says_so(client, cohort, teacher, a_course):
    lesson(a_course)
    services.course_assign(course=a_course, cohort=cohort, assigned_by=teacher)
    client.force_login(teacher)

    html = client.get(reverse("courses:cohort-progress", args=[cohort.pk])).content.decode()

    assert '<tbody><tr><td colspan="4" class="muted">No students yet.</td></tr></tbody>' in html
