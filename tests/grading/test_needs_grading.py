"""The teacher's needs-grading queue: attempts with hand-graded cells not graded yet, oldest
first, with how many wait per cohort and per exercise, only of the teacher's own students;
reached from the dashboard and the cohort page, which also lead to each cohort's
gradebook, progress and quiz statistics; the review page offers the next in the queue.
Two students of the same name are told apart by their usernames."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.services import course_assign
from grading import services
from grading.models import CellResult, Submission
from people.models import Role
from people.services import membership_create
from tests.factories import CohortFactory, admin_of, student_in
from tests.grading.factories import ExerciseFactory, classroom

pytestmark = pytest.mark.django_db

QUEUE = "/en/teach/needs-grading/"

# the square exercise's cells as the grader stores them: two tests, two hand-graded cells
CELLS = [
    ("test_visible", "passed", 1.0, 1),
    ("test_hidden", "passed", 2.0, 2),
    ("explain", "needs_manual", None, 2),
    ("reflect", "needs_manual", None, 1),
]


def graded(exercise, student, *, minutes_ago: int = 0, attempt: int = 1) -> Submission:
    """A graded attempt whose two hand-graded cells wait for a teacher (no sandbox run)."""
    submission = Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=attempt,
        origin=Submission.Origin.BROWSER,
        notebook={},
        status=Submission.Status.GRADED,
        submitted_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        graded_at=timezone.now(),
        max_total=6,
    )
    for position, (grade_id, status, score, points) in enumerate(CELLS):
        CellResult.objects.create(
            submission=submission,
            grade_id=grade_id,
            position=position,
            status=status,
            auto_score=score,
            max_score=points,
        )
    services._apply_totals(submission)
    submission.save()
    return submission


def grade_all(submission: Submission, teacher) -> None:
    for cell in submission.cells.filter(status="needs_manual"):
        services.cell_grade_manually(cell=cell, score=1, teacher=teacher)


@pytest.fixture
def room():
    return classroom()


def queue_rows(html: str) -> list[str]:
    return html.split('data-testid="queue-row"')[1:]


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- attacks first -------------------------------------------------------------------------


def test_a_teacher_of_another_cohort_sees_none_of_these_submissions(client, room):
    theirs = room.outsider
    other_cohort = room.teacher_elsewhere.memberships.get().cohort
    # the same course in their cohort too: they manage the exercise, not these students
    course_assign(course=room.course, cohort=other_cohort, assigned_by=room.teacher_elsewhere)
    mine = graded(room.exercise, room.student)
    their_own = graded(room.exercise, theirs)
    client.force_login(room.teacher_elsewhere)

    html = html_of(client.get(QUEUE))

    assert str(mine.uid) not in html and room.student.last_name not in html
    assert str(their_own.uid) in html and len(queue_rows(html)) == 1
    assert client.get(f"{QUEUE}?cohort={room.cohort.pk}").status_code == 404
    review = reverse("grading:submission-review", args=[mine.uid])
    assert client.get(review).status_code == 403
    # nor does the review page of their own student lead to it as "next"
    html = html_of(client.get(reverse("grading:submission-review", args=[their_own.uid])))
    assert str(mine.uid) not in html


def test_the_cohort_page_tells_an_admin_nothing_of_the_queue(client, room):
    graded(room.exercise, room.student)
    client.force_login(admin_of(room.cohort.institution))

    html = html_of(client.get(reverse("cohort-detail", args=[room.cohort.pk])))

    assert 'data-testid="cohort-gradebook"' in html
    assert 'data-testid="cohort-needs-grading"' not in html
    assert client.get(QUEUE).status_code == 403


@pytest.mark.parametrize(
    "query",
    ["cohort=abc", "cohort=-1", "cohort=99999999999999999999", "exercise=x", "exercise=0"],
)
def test_a_malformed_or_unknown_filter_is_a_404_never_a_500(client, room, query):
    graded(room.exercise, room.student)
    client.force_login(room.teacher)

    assert client.get(f"{QUEUE}?{query}").status_code == 404


def test_students_and_analysts_have_no_queue(client, room):
    for user in (room.student, room.analyst):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 403


def test_a_filter_on_the_review_page_that_is_not_the_teachers_is_ignored(client, room):
    submission = graded(room.exercise, room.student)
    client.force_login(room.teacher)
    other = room.teacher_elsewhere.memberships.get().cohort
    review = reverse("grading:submission-review", args=[submission.uid])

    for query in (f"?cohort={other.pk}", "?cohort=abc", "?exercise=99999999999999999999"):
        assert client.get(review + query).status_code == 200


# --- the queue -----------------------------------------------------------------------------


def test_the_queue_lists_waiting_attempts_oldest_first_with_counts(client, room):
    cubes = ExerciseFactory(course=room.course, title="Cubes")
    newest = graded(room.exercise, room.student, minutes_ago=1)
    oldest = graded(cubes, room.classmate, minutes_ago=30)
    middle = graded(room.exercise, room.classmate, minutes_ago=10)
    done = graded(cubes, room.student, minutes_ago=60)
    grade_all(done, room.teacher)
    Submission.objects.create(  # still being graded: nothing to score yet
        exercise=cubes,
        student=room.student,
        attempt=2,
        origin=Submission.Origin.BROWSER,
        notebook={},
        status=Submission.Status.RUNNING,
    )
    client.force_login(room.teacher)

    html = html_of(client.get(QUEUE))

    rows = queue_rows(html)
    assert all(str(s.uid) in row for row, s in zip(rows, (oldest, middle, newest), strict=True))
    assert str(done.uid) not in html
    assert "3 submissions have cells waiting for your score." in html
    assert "2 cells" in rows[0]  # explain and reflect
    by_exercise = html.split('data-testid="queue-by-exercise"')[1].split("</ul>")[0]
    assert "Cubes" in by_exercise and '<span class="badge">1</span>' in by_exercise
    assert '<span class="badge">2</span>' in by_exercise
    by_cohort = html.split('data-testid="queue-by-cohort"')[1].split("</ul>")[0]
    assert f'data-cohort="{room.cohort.pk}"' in by_cohort and ">3</span>" in by_cohort


def test_the_queue_narrows_to_a_cohort_and_an_exercise(client, room):
    other_cohort = CohortFactory(institution=room.cohort.institution)
    second = student_in(other_cohort)
    membership_create(user=room.teacher, role=Role.TEACHER, cohort=other_cohort)
    course_assign(course=room.course, cohort=other_cohort, assigned_by=room.teacher)
    cubes = ExerciseFactory(course=room.course, title="Cubes")
    in_a = graded(room.exercise, room.student, minutes_ago=5)
    in_a_cubes = graded(cubes, room.student, minutes_ago=4)
    in_b = graded(room.exercise, second, minutes_ago=3)
    client.force_login(room.teacher)

    html = html_of(client.get(f"{QUEUE}?cohort={other_cohort.pk}"))
    assert str(in_b.uid) in html and str(in_a.uid) not in html

    html = html_of(client.get(f"{QUEUE}?cohort={room.cohort.pk}&exercise={cubes.pk}"))
    assert str(in_a_cubes.uid) in html and len(queue_rows(html)) == 1
    # the row leads to the review page with the same filters, for "next in the queue"
    assert f"{in_a_cubes.uid}/?cohort={room.cohort.pk}&amp;exercise={cubes.pk}" in html


def test_the_queue_costs_the_same_queries_for_3_or_20_attempts(client, room):
    client.force_login(room.teacher)
    students = [student_in(room.cohort) for _ in range(20)]
    for student in students[:3]:
        graded(room.exercise, student)
    client.get(QUEUE)  # warm caches (content types, site)
    with CaptureQueriesContext(connection) as few:
        html_of(client.get(QUEUE))
    for student in students[3:]:
        graded(room.exercise, student)
    with CaptureQueriesContext(connection) as many:
        html = html_of(client.get(QUEUE))

    assert len(queue_rows(html)) == 20
    assert len(many) == len(few)


# --- the way there and on ------------------------------------------------------------------


def test_the_dashboard_counts_the_queue_and_leads_to_every_cohorts_results(client, room):
    graded(room.exercise, room.student)
    graded(room.exercise, room.classmate)
    client.force_login(room.teacher)

    html = html_of(client.get("/en/dashboard/"))

    section = html.split('data-testid="teacher-grading"')[1]
    assert "2 submissions wait for your score" in section
    assert f'href="{QUEUE}"' in section
    assert f'href="{QUEUE}?cohort={room.cohort.pk}"' in section
    for name, args in (
        ("grading:gradebook", [room.cohort.pk]),
        ("courses:cohort-progress", [room.cohort.pk]),
        ("courses:quiz-statistics", [room.cohort.pk]),
    ):
        url = reverse(name, args=args)
        assert f'href="{url}"' in section
        assert client.get(url).status_code == 200


def test_the_dashboard_says_when_nothing_waits(client, room):
    client.force_login(room.teacher)

    html = html_of(client.get("/en/dashboard/"))

    assert "Nothing waits for your score" in html


def test_the_cohort_page_leads_to_the_queue_gradebook_progress_and_quiz_statistics(client, room):
    graded(room.exercise, room.student)
    client.force_login(room.teacher)

    html = html_of(client.get(reverse("cohort-detail", args=[room.cohort.pk])))

    section = html.split('data-testid="cohort-grading"')[1].split("</section>")[0]
    assert "1 submission of this cohort waits for your score" in section
    assert f"{QUEUE}?cohort={room.cohort.pk}" in section
    for name in ("grading:gradebook", "courses:cohort-progress", "courses:quiz-statistics"):
        assert reverse(name, args=[room.cohort.pk]) in section


def test_after_grading_the_review_page_offers_the_next_in_the_queue(client, room):
    first = graded(room.exercise, room.student, minutes_ago=20)
    second = graded(room.exercise, room.classmate, minutes_ago=10)
    client.force_login(room.teacher)
    review = reverse("grading:submission-review", args=[first.uid])
    query = f"?cohort={room.cohort.pk}"

    html = html_of(client.get(review + query))
    assert "Skip to the next in the queue" in html

    for cell in first.cells.filter(status="needs_manual"):
        response = client.post(
            reverse("grading:submission-grade-cell", args=[first.uid, cell.pk]) + query,
            {f"{cell.pk}-score": "1", f"{cell.pk}-comment": ""},
        )
        assert response.status_code == 302 and response.url == review + query

    html = html_of(client.get(review + query))
    assert "Every cell of this attempt is graded." in html
    step = html.split('data-testid="queue-step"')[1].split("</section>")[0]
    assert "Next in the queue: Murad Mammadov" in step
    assert f"{second.uid}/{query}" in step and room.classmate.last_name in step

    grade_all(second, room.teacher)
    html = html_of(client.get(review + query))
    assert "No other submission waits for your score." in html
    assert "Nothing waits for your score" in html_of(client.get(QUEUE))


def test_the_review_page_labels_its_score_and_comment_fields(client, room):
    submission = graded(room.exercise, room.student)
    client.force_login(room.teacher)

    html = html_of(client.get(reverse("grading:submission-review", args=[submission.uid])))

    cell = submission.cells.get(grade_id="explain")
    assert f'<label for="id_{cell.pk}-score">Score for explain</label>' in html
    assert f'<label for="id_{cell.pk}-comment">Comment on explain</label>' in html


# --- namesakes -----------------------------------------------------------------------------


def test_two_students_of_the_same_name_are_told_apart_by_username(client, room):
    twin = student_in(room.cohort, first_name="Aysel", last_name="Aliyeva", username="aysel.a2")
    graded(room.exercise, room.student)
    graded(room.exercise, twin)
    graded(room.exercise, room.classmate)
    client.force_login(room.teacher)

    for url in (QUEUE, reverse("grading:gradebook", args=[room.cohort.pk])):
        html = html_of(client.get(url))
        assert room.student.username in html and "aysel.a2" in html
        assert room.classmate.username not in html  # a name nobody else has: no username

    manage = html_of(client.get(reverse("grading:exercise-manage", args=[room.exercise.pk])))
    assert '<span class="muted username">aysel.a2</span>' in manage


# --- the manage page's table, refreshed as a regrade goes ---------------------------------


def test_the_manage_page_serves_its_submissions_table_alone(client, room):
    submission = graded(room.exercise, room.student)
    client.force_login(room.teacher)
    url = reverse("grading:exercise-manage", args=[room.exercise.pk])

    client.post(reverse("grading:exercise-regrade", args=[room.exercise.pk]))
    html = html_of(client.get(url))
    assert f'data-rows-url="{url}?part=submissions"' in html
    part = html_of(client.get(url + "?part=submissions"))

    assert part.lstrip().startswith('<table data-testid="submissions-table">')
    assert f'data-submission="{submission.uid}" data-status="queued"' in part
    assert "<html" not in part and "regrade" not in part.lower()


def test_the_manage_page_table_is_closed_to_others(client, room):
    graded(room.exercise, room.student)
    client.force_login(room.teacher_elsewhere)

    url = reverse("grading:exercise-manage", args=[room.exercise.pk]) + "?part=submissions"
    assert client.get(url).status_code == 403
