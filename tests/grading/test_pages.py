"""The grading pages: the student's exercise panel, the teacher's tools (check report,
preview, review and manual grading, regrade with progress, gradebook), and the Wagtail
admin where teachers upload source notebooks."""

from __future__ import annotations

import csv
import io

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grading import services
from grading.models import (
    CellResult,
    Exercise,
    ExerciseCellCompetence,
    ExerciseSummary,
    RegradeJob,
    Submission,
)
from tests.factories import student_in
from tests.grading.factories import (
    RIGHT,
    WRONG,
    ExerciseFactory,
    a_lesson,
    classroom,
    submission_notebook,
)
from tests.grading.notebook.builders import HIDDEN_CHECK, autotest, notebook, square_exercise

pytestmark = pytest.mark.django_db

SOLUTION_TEXT = "return x * x"
MANUAL_SOLUTION_TEXT = "minus times minus"


@pytest.fixture
def room():
    return classroom()


def submit(room, student=None, source=RIGHT) -> Submission:
    return services.submission_create(
        exercise=room.exercise,
        student=student or room.student,
        notebook=submission_notebook(room.exercise, source),
        origin=Submission.Origin.UPLOAD,
    )


def graded(room, student=None, source=RIGHT, total=3.0) -> Submission:
    """A submission with results stored as the grader stores them (no sandbox run)."""
    submission = submit(room, student, source)
    scores = [
        ("test_visible", "passed", 1.0, 1),
        ("test_hidden", "passed", 2.0, 2),
        ("explain", "needs_manual", None, 2),
        ("reflect", "needs_manual", None, 1),
    ]
    Submission.objects.filter(pk=submission.pk).update(status="running")
    for position, (grade_id, status, score, points) in enumerate(scores):
        if score is not None and total < 3:
            score, status = 0.0, "failed"
        CellResult.objects.create(
            submission=submission,
            grade_id=grade_id,
            position=position,
            status=status,
            auto_score=score,
            max_score=points,
        )
    submission.refresh_from_db()
    submission.status = Submission.Status.GRADED
    submission.max_total = 6
    services._apply_totals(submission)
    submission.save()
    services._refresh_summary(submission.exercise_id, submission.student_id)
    return submission


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ---------------------------------------------------------------------------------------
# Students
# ---------------------------------------------------------------------------------------


def test_the_exercise_page_shows_the_answer_cells_and_no_solution(client, room):
    client.force_login(room.student)

    html = page_text(client.get(reverse("grading:exercise", args=[room.exercise.pk])))

    assert 'data-testid="exercise-panel"' in html
    assert 'data-answer="square"' in html and 'data-answer="explain"' in html
    assert 'data-answer="test_visible"' not in html  # tests are shown, not editable
    assert "raise NotImplementedError()" in html
    for secret in (SOLUTION_TEXT, MANUAL_SOLUTION_TEXT, HIDDEN_CHECK, "square(-7)"):
        assert secret not in html
    assert "Submit my answers" in html
    assert f"/api/v1/exercises/{room.exercise.pk}/notebook/" in html


def test_the_lesson_page_carries_the_exercise_panel(client, room):
    lesson = a_lesson(room.course, room.exercise)
    client.force_login(room.student)

    html = page_text(client.get(lesson.url))

    assert 'data-testid="exercise-panel"' in html
    assert 'data-answer="square"' in html
    assert SOLUTION_TEXT not in html and "square(-7)" not in html


def test_the_panel_names_the_competences_the_exercise_evidences(client, room):
    from curricula.models import Competence

    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    for grade_id, level in (("test_visible", 3), ("test_hidden", 4)):
        ExerciseCellCompetence.objects.create(
            exercise=room.exercise, grade_id=grade_id, competence=programming, level=level
        )
    client.force_login(room.student)

    html = page_text(client.get(reverse("grading:exercise", args=[room.exercise.pk])))

    assert "Evidence for" in html
    assert "3.4 Programming · level 4" in html  # once, at the highest level
    assert "level 3" not in html


def test_a_student_of_another_course_sees_a_lock_in_the_lesson_and_no_page(client, room):
    lesson = a_lesson(room.course, room.exercise)
    client.force_login(room.outsider)

    assert client.get(reverse("grading:exercise", args=[room.exercise.pk])).status_code == 403
    response = client.get(lesson.url)
    assert response.status_code in (200, 403)  # a locked lesson, or a refusal
    html = response.content.decode()
    assert 'data-answer="square"' not in html and "Submit my answers" not in html


def test_the_panel_shows_the_latest_result_and_every_attempt(client, room):
    graded(room, source=WRONG, total=0)
    graded(room)
    client.force_login(room.student)

    html = page_text(client.get(reverse("grading:exercise", args=[room.exercise.pk])))

    assert 'data-testid="result-score">3 / 6<' in html
    assert html.count("<tr data-id=") == 2
    assert f'value="{RIGHT}"' not in html  # answers are textarea content, escaped
    assert "return x * x</textarea>" in html  # the latest answer is prefilled


def test_uploading_without_javascript_stores_the_submission(client, room):
    client.force_login(room.student)
    upload = SimpleUploadedFile("mine.ipynb", submission_notebook(room.exercise).encode())

    response = client.post(
        reverse("grading:exercise-upload", args=[room.exercise.pk]), {"notebook": upload}
    )

    assert response.status_code == 302
    assert Submission.objects.get().student == room.student


def test_uploading_a_broken_file_without_javascript_says_why(client, room):
    client.force_login(room.student)
    upload = SimpleUploadedFile("mine.ipynb", b"not json at all")

    response = client.post(
        reverse("grading:exercise-upload", args=[room.exercise.pk]),
        {"notebook": upload},
        follow=True,
    )

    assert "not valid JSON" in page_text(response)
    assert not Submission.objects.exists()


# ---------------------------------------------------------------------------------------
# Teachers: check report, preview
# ---------------------------------------------------------------------------------------


def test_the_manage_page_shows_the_problems_of_the_check(client, room):
    Exercise.objects.filter(pk=room.exercise.pk).update(
        status=Exercise.Status.INVALID,
        validation_report={
            "ok": False,
            "problems": ["The solution fails test_visible: AssertionError."],
            "solution": {"total": 5.0, "max_total": 6.0, "cells": []},  # an older report
            "student": {"total": 0.0, "max_total": 6.0, "cells": []},
            "seconds": 2.5,
        },
    )
    client.force_login(room.teacher)

    html = page_text(client.get(reverse("grading:exercise-manage", args=[room.exercise.pk])))

    assert "Has problems" in html
    assert "The solution fails test_visible: AssertionError." in html
    assert "The solution scores 5 of the 6 points graded automatically." in html
    assert "The unanswered student version scores 0." in html


@pytest.mark.sandbox
def test_the_manage_page_shows_the_report_of_a_real_check(client, room):
    services.exercise_validate(exercise_id=room.exercise.pk)
    client.force_login(room.teacher)

    html = page_text(client.get(reverse("grading:exercise-manage", args=[room.exercise.pk])))

    assert "Ready" in html
    assert "The solution scores 3 of the 3 points graded automatically." in html
    assert "3 points are graded by hand." in html
    assert "The unanswered student version scores 0." in html


@pytest.mark.parametrize("role", ["student", "teacher_elsewhere", "analyst"])
def test_teacher_pages_are_closed_to_others(client, room, role):
    submission = graded(room)
    client.force_login(getattr(room, role))

    for name, args in (
        ("grading:exercise-manage", [room.exercise.pk]),
        ("grading:exercise-preview", [room.exercise.pk]),
        ("grading:submission-review", [submission.uid]),
        ("grading:gradebook", [room.cohort.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403, name
    response = client.post(reverse("grading:exercise-regrade", args=[room.exercise.pk]))
    assert response.status_code == 403
    assert not RegradeJob.objects.exists()


def test_the_preview_shows_what_students_receive(client, room):
    client.force_login(room.teacher)

    html = page_text(client.get(reverse("grading:exercise-preview", args=[room.exercise.pk])))

    assert "raise NotImplementedError()" in html and "YOUR ANSWER HERE" in html
    assert "assert square(2) == 4" in html
    for secret in (SOLUTION_TEXT, MANUAL_SOLUTION_TEXT, HIDDEN_CHECK, "square(-7)"):
        assert secret not in html


# ---------------------------------------------------------------------------------------
# Teachers: review, manual grading, regrade
# ---------------------------------------------------------------------------------------


def test_the_teacher_grades_free_answers_by_hand_and_the_totals_follow(client, room):
    submission = graded(room)
    client.force_login(room.teacher)
    review = reverse("grading:submission-review", args=[submission.uid])
    html = page_text(client.get(review))
    assert "Grade by hand" in html and "needs-manual" in html

    for grade_id, score in (("explain", "2"), ("reflect", "0.5")):
        cell = submission.cells.get(grade_id=grade_id)
        response = client.post(
            reverse("grading:submission-grade-cell", args=[submission.uid, cell.pk]),
            {f"{cell.pk}-score": score, f"{cell.pk}-comment": "Well argued."},
        )
        assert response.status_code == 302

    submission.refresh_from_db()
    assert submission.total == 5.5 and not submission.needs_manual
    explain = submission.cells.get(grade_id="explain")
    assert explain.manual_score == 2 and explain.graded_by == room.teacher
    assert explain.comment == "Well argued."
    summary = ExerciseSummary.objects.get(exercise=room.exercise, student=room.student)
    assert summary.best_score == 5.5
    html = page_text(client.get(review))
    assert "5.5 / 6" in html and "Well argued." in html


def test_a_manual_score_above_the_cells_points_is_refused(client, room):
    submission = graded(room)
    cell = submission.cells.get(grade_id="explain")
    client.force_login(room.teacher)

    response = client.post(
        reverse("grading:submission-grade-cell", args=[submission.uid, cell.pk]),
        {f"{cell.pk}-score": "5", f"{cell.pk}-comment": ""},
        follow=True,
    )

    assert "The score must be between 0 and 2." in page_text(response)
    cell.refresh_from_db()
    assert cell.manual_score is None
    submission.refresh_from_db()
    assert submission.total == 3


def test_the_teacher_regrades_one_submission(client, room, django_capture_on_commit_callbacks):
    submission = graded(room)
    client.force_login(room.teacher)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("grading:submission-regrade", args=[submission.uid]))

    assert response.status_code == 302
    submission.refresh_from_db()
    # sent to the graders once the transaction commits (the student's cached dashboard
    # panel is retired then too, people.panels)
    sends = [c for c in callbacks if c.__qualname__.startswith("submission_grading_queue.")]
    assert submission.status == "queued" and len(sends) == 1


@pytest.mark.sandbox
def test_regrade_all_creates_a_job_whose_progress_moves(client, room):
    submissions = [graded(room), graded(room, student=room.classmate)]
    client.force_login(room.teacher)

    response = client.post(reverse("grading:exercise-regrade", args=[room.exercise.pk]))

    assert response.status_code == 302
    job = RegradeJob.objects.get()
    assert job.total == 2 and sorted(job.submission_ids) == sorted(s.pk for s in submissions)
    progress = f"/api/v1/regrades/{job.pk}/"
    assert client.get(progress).json() == {"total": 2, "done": 0, "failed": 0, "percent": 0}
    html = page_text(client.get(reverse("grading:exercise-manage", args=[room.exercise.pk])))
    assert f'data-job-url="{progress}"' in html

    services.submission_grade(submission_id=submissions[0].pk)
    assert client.get(progress).json()["percent"] == 50
    services.submission_grade(submission_id=submissions[1].pk)
    assert client.get(progress).json() == {"total": 2, "done": 2, "failed": 0, "percent": 100}
    job.refresh_from_db()
    assert job.finished_at is not None


def test_regrade_all_only_takes_the_teachers_own_students(client, room):
    graded(room)
    stranger = student_in(room.teacher_elsewhere.memberships.first().cohort)
    from courses.services import course_assign

    course_assign(
        course=room.course,
        cohort=room.teacher_elsewhere.memberships.first().cohort,
        assigned_by=room.teacher_elsewhere,
    )
    graded(room, student=stranger)
    client.force_login(room.teacher)

    client.post(reverse("grading:exercise-regrade", args=[room.exercise.pk]))

    assert RegradeJob.objects.get().total == 1


# ---------------------------------------------------------------------------------------
# Gradebook
# ---------------------------------------------------------------------------------------


def gradebook_with(room, extra_students: int):
    second = ExerciseFactory(course=room.course, title="Cubes")
    students = [room.student, room.classmate] + [
        student_in(room.cohort, last_name=f"Zeynalov{n:02d}") for n in range(extra_students)
    ]
    for student in students:
        ExerciseSummary.objects.create(
            exercise=room.exercise, student=student, attempts=1, best_score=3, max_score=6
        )
    ExerciseSummary.objects.create(
        exercise=second, student=room.student, attempts=1, best_score=4.5, max_score=6
    )
    return students, second


def test_the_gradebook_shows_students_by_exercises(client, room):
    gradebook_with(room, 1)
    client.force_login(room.teacher)

    html = page_text(client.get(reverse("grading:gradebook", args=[room.cohort.pk])))

    assert 'data-testid="gradebook"' in html
    assert room.exercise.title in html and "Cubes" in html
    assert "Aliyeva Aysel" in html and "4.5" in html


def test_the_gradebook_csv_has_a_bom_a_header_and_a_row_per_student(client, room):
    students, _second = gradebook_with(room, 1)
    client.force_login(room.teacher)

    response = client.get(reverse("grading:gradebook", args=[room.cohort.pk]), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"gradebook-{room.cohort.code}.csv" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == [
        "username",
        "last name",
        "first name",
        "Cubes (/6)",
        f"{room.exercise.title} (/6)",
        "total",
        "maximum",
    ]
    assert len(rows) == 1 + len(students)
    by_user = {row[0]: row for row in rows[1:]}
    assert by_user[room.student.username][3:] == ["4.5", "3", "7.5", "12"]
    assert by_user[room.classmate.username][3:] == ["", "3", "3", "12"]


def test_the_gradebook_csv_does_not_let_a_name_become_a_formula(client, room):
    room.student.last_name = '=HYPERLINK("http://evil.example","open")'
    room.student.save()
    client.force_login(room.teacher)

    response = client.get(reverse("grading:gradebook", args=[room.cohort.pk]), {"format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))
    names = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","open")' in names


def test_the_gradebook_refuses_unknown_formats(client, room):
    client.force_login(room.teacher)

    response = client.get(reverse("grading:gradebook", args=[room.cohort.pk]), {"format": "xls"})

    assert response.status_code == 404


@pytest.mark.parametrize("export", [False, True])
def test_the_gradebook_costs_the_same_queries_for_3_or_20_students(
    client, room, export, django_assert_max_num_queries
):
    client.force_login(room.teacher)
    url = reverse("grading:gradebook", args=[room.cohort.pk])
    params = {"format": "csv"} if export else {}
    gradebook_with(room, 1)  # 3 students
    client.get(url, params)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, params).status_code == 200
    few = small.final_queries - small.initial_queries  # the query log keeps only 9,000

    for n in range(17):
        student = student_in(room.cohort, last_name=f"Quliyev{n:02d}")
        ExerciseSummary.objects.create(
            exercise=room.exercise, student=student, attempts=1, best_score=1, max_score=6
        )
    client.get(url, params)  # the new memberships retired the cached roles: warm again
    with django_assert_max_num_queries(few):
        response = client.get(url, params)
    text = response.content.decode()
    assert text.count("Quliyev") == 17


# ---------------------------------------------------------------------------------------
# The Wagtail admin: teachers upload source notebooks
# ---------------------------------------------------------------------------------------

ADD_URL = "/admin/snippets/grading/exercise/add/"


def admin_form(room, upload: SimpleUploadedFile | None, **fields) -> dict:
    data = {
        "title": "Squares from the admin",
        "slug": "squares-admin",
        "description": "Write square(x).",
        "course": str(room.course.pk),
        "max_attempts": "",
        "due_at": "",
        "late_policy": "accept",
        "late_penalty_percent": "0",
        # the factory's FAST_LIMITS, as the form shows them: an edit keeps them
        "cell_timeout_s": "10",
        "notebook_timeout_s": "30",
        "competence_links-TOTAL_FORMS": "0",
        "competence_links-INITIAL_FORMS": "0",
        "competence_links-MIN_NUM_FORMS": "0",
        "competence_links-MAX_NUM_FORMS": "1000",
    }
    if upload is not None:
        data["source_upload"] = upload
    data.update(fields)
    return data


def ipynb(nb, name="squares.ipynb") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, nbformat.writes(nb).encode(), "application/x-ipynb+json")


def test_a_teacher_uploads_a_source_notebook_in_the_admin(
    client, room, django_capture_on_commit_callbacks
):
    client.force_login(room.teacher)
    assert client.get(ADD_URL).status_code == 200

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(ADD_URL, admin_form(room, ipynb(square_exercise())))

    assert response.status_code == 302, response.content.decode()[:3000]
    exercise = Exercise.objects.get(slug="squares-admin")
    assert exercise.status == Exercise.Status.VALIDATING
    assert exercise.max_score == 6 and exercise.course_id == room.course.pk
    assert exercise.source_filename == "squares.ipynb"
    assert exercise.created_by == room.teacher
    assert HIDDEN_CHECK in str(exercise.source_notebook)
    student = str(exercise.student_notebook)
    assert "square(-7)" not in student and SOLUTION_TEXT not in student
    assert len(callbacks) == 1  # the check in the sandbox, queued after commit
    # the teacher finds the exercise on their teaching pages
    assert client.get(reverse("grading:exercise-manage", args=[exercise.pk])).status_code == 200


@pytest.mark.parametrize(
    ("nb", "reason"),
    [
        (
            notebook(autotest("test_a", "assert True"), autotest("test_a", "assert True")),
            "test_a",
        ),
        (notebook(autotest("", "assert True")), "grade_id"),
        (notebook(autotest("test_a", "assert True", points=-1)), "-1"),
        (notebook(), "no graded cells"),
    ],
)
def test_a_bad_source_notebook_shows_its_problems_and_stores_nothing(client, room, nb, reason):
    client.force_login(room.teacher)

    response = client.post(ADD_URL, admin_form(room, ipynb(nb)))

    html = page_text(response)  # the form again, with errors
    assert reason in html
    assert not Exercise.objects.filter(slug="squares-admin").exists()


def test_a_file_that_is_not_a_notebook_shows_why_in_the_admin(client, room):
    client.force_login(room.teacher)
    upload = SimpleUploadedFile("notes.ipynb", b"{oops", "application/x-ipynb+json")

    html = page_text(client.post(ADD_URL, admin_form(room, upload)))

    assert "not valid JSON" in html
    assert not Exercise.objects.filter(slug="squares-admin").exists()


def test_a_new_exercise_needs_a_source_notebook(client, room):
    client.force_login(room.teacher)

    html = page_text(client.post(ADD_URL, admin_form(room, None)))

    assert "Upload the source notebook." in html
    assert not Exercise.objects.filter(slug="squares-admin").exists()


def test_editing_without_a_new_upload_keeps_the_source(client, room):
    client.force_login(room.teacher)
    url = f"/admin/snippets/grading/exercise/edit/{room.exercise.pk}/"
    before = room.exercise.source_notebook

    response = client.post(url, admin_form(room, None, title="Renamed", slug=room.exercise.slug))

    assert response.status_code == 302
    room.exercise.refresh_from_db()
    assert room.exercise.title == "Renamed"
    assert room.exercise.source_notebook == before
    assert room.exercise.status == Exercise.Status.READY


def test_teachers_do_not_edit_exercises_of_other_courses(client, room):
    client.force_login(room.teacher_elsewhere)
    url = f"/admin/snippets/grading/exercise/edit/{room.exercise.pk}/"

    assert client.get(url).status_code in (302, 403, 404)
    response = client.post(url, admin_form(room, None, title="Hijacked", slug=room.exercise.slug))
    assert response.status_code in (302, 403, 404)
    room.exercise.refresh_from_db()
    assert room.exercise.title != "Hijacked"
    listing = client.get("/admin/snippets/grading/exercise/")
    assert room.exercise.title not in listing.content.decode()


def competence_rows(*rows: tuple[str, int, int]) -> dict:
    data = {
        "competence_links-TOTAL_FORMS": str(len(rows)),
        "competence_links-INITIAL_FORMS": "0",
    }
    for n, (grade_id, competence_pk, level) in enumerate(rows):
        data.update(
            {
                f"competence_links-{n}-grade_id": grade_id,
                f"competence_links-{n}-competence": str(competence_pk),
                f"competence_links-{n}-level": str(level),
                f"competence_links-{n}-id": "",
                f"competence_links-{n}-DELETE": "",
            }
        )
    return data


def test_the_teacher_maps_graded_cells_to_competences_in_the_admin(client, room):
    from curricula.models import Competence

    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    client.force_login(room.teacher)

    response = client.post(
        ADD_URL,
        admin_form(
            room, ipynb(square_exercise()), **competence_rows(("test_hidden", programming.pk, 4))
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    link = ExerciseCellCompetence.objects.get()
    assert (link.exercise.slug, link.grade_id, link.level) == ("squares-admin", "test_hidden", 4)


def test_a_competence_on_a_cell_the_notebook_lacks_is_refused(client, room):
    from curricula.models import Competence

    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    client.force_login(room.teacher)

    response = client.post(
        ADD_URL,
        admin_form(
            room, ipynb(square_exercise()), **competence_rows(("test_typo", programming.pk, 4))
        ),
    )

    html = page_text(response)
    assert "The notebook has no graded cell “test_typo”." in html
    assert not Exercise.objects.filter(slug="squares-admin").exists()
    assert not ExerciseCellCompetence.objects.exists()
