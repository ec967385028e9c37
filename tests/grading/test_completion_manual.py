"""Completion with hand-graded parts: an exercise passes on its auto-graded points (all of
them, or the teacher's pass mark), so a free-response cell awaiting a teacher does not
block the lesson; the student's result says where they stand.

The square exercise: tests worth 1 + 2 points, a free answer (2) and a task (1) graded
by hand. Graded with the fake kernel through the services, as the worker grades.
"""

from __future__ import annotations

import nbformat
import pytest
from django.urls import reverse

from courses.models import ExerciseOutcome, LessonProgress
from grading import completion, services
from grading.models import Exercise, Submission
from tests.grading.factories import HALF_RIGHT, RIGHT, WRONG, a_lesson, classroom
from tests.grading.notebook.builders import answer, answered, manual_answer, notebook
from tests.grading.notebook.fakes import FakeKernel
from tests.grading.runtime_fakes import only_installed
from tests.grading.test_runtimes_admin import edit_form, edit_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kernel(monkeypatch, settings, tmp_path):
    only_installed(monkeypatch, tmp_path, "data-science", "python-minimal")
    settings.GRADING_ALLOW_UNSANDBOXED = True  # the fake kernel runs in this process
    monkeypatch.setattr(services, "sandboxed_executor", lambda: FakeKernel())


@pytest.fixture
def room():
    room = classroom()
    room.lesson = a_lesson(room.course, room.exercise, completion_rule="exercise")
    return room


def grade(room, source: str, **answers) -> Submission:
    nb = answered(nbformat.from_dict(room.exercise.student_notebook), square=source, **answers)
    submission = services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=nbformat.writes(nb),
        origin=Submission.Origin.UPLOAD,
    )
    return services.submission_grade(submission_id=submission.pk)


def progress(room) -> LessonProgress:
    return LessonProgress.objects.get(student=room.student, lesson=room.lesson)


def outcome_text(client, room) -> str:
    html = client.get(reverse("grading:exercise", args=[room.exercise.pk])).content.decode()
    return html.split('data-testid="result-outcome">', 1)[1].split("</p>", 1)[0]


# --- bad input first -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("101", "less than or equal to 100"),
        ("-1", "greater than or equal to 0"),
        ("half", "Enter a whole number"),
    ],
)
def test_a_pass_mark_out_of_0_to_100_is_refused_and_nothing_changes(client, room, value, reason):
    client.force_login(room.teacher)

    response = client.post(edit_url(room.exercise), edit_form(room, pass_threshold=value))

    assert response.status_code == 200
    assert reason in response.content.decode()
    room.exercise.refresh_from_db()
    assert room.exercise.pass_threshold is None


# --- the rule -----------------------------------------------------------------------------


def test_the_lesson_is_completed_once_the_auto_graded_part_passes(client, room):
    graded = grade(room, RIGHT, explain="Minus times minus is plus.")

    assert graded.needs_manual and graded.total == 3  # explain and reflect await the teacher
    assert progress(room).exercise_passed and progress(room).completed_at is not None
    assert ExerciseOutcome.objects.get(student=room.student, exercise_id=room.exercise.pk).passed
    client.force_login(room.student)
    assert outcome_text(client, room) == "Auto-graded: passed. 3 points await your teacher."
    api = client.get(f"/api/v1/submissions/{graded.uid}/").json()
    assert api["outcome"] == {
        "passed": True,
        "auto_score": 3.0,
        "auto_max_score": 3.0,
        "needed": 3.0,
        "awaiting_teacher": 3.0,
        "summary": "Auto-graded: passed. 3 points await your teacher.",
    }


def test_a_failed_hidden_test_keeps_the_lesson_open_and_says_how_far(client, room):
    grade(room, HALF_RIGHT, explain="Because.")

    assert not progress(room).exercise_passed and progress(room).completed_at is None
    client.force_login(room.student)
    assert outcome_text(client, room) == (
        "Auto-graded: not passed yet (1 of 3 points, 3 needed). 3 points await your teacher."
    )


def test_the_teachers_pass_mark_lets_a_share_of_the_points_pass(client, room):
    Exercise.objects.filter(pk=room.exercise.pk).update(pass_threshold=30)

    grade(room, WRONG)  # nothing earned: 0 of 0.9 needed
    assert not progress(room).exercise_passed
    grade(room, HALF_RIGHT)  # 1 of 3 points: 33 %

    assert progress(room).exercise_passed and progress(room).completed_at is not None


def test_setting_a_pass_mark_in_the_admin_tells_students_already_graded(client, room):
    grade(room, HALF_RIGHT)
    assert not progress(room).exercise_passed
    client.force_login(room.teacher)

    page = client.get(edit_url(room.exercise)).content.decode()
    response = client.post(edit_url(room.exercise), edit_form(room, pass_threshold="30"))

    assert 'name="pass_threshold"' in page and 'max="100"' in page
    assert response.status_code == 302, response.content.decode()[:2000]
    room.exercise.refresh_from_db()
    assert room.exercise.pass_threshold == 30
    assert progress(room).exercise_passed
    assert room.exercise.status == Exercise.Status.READY  # no new check for a pass mark


def test_a_teachers_scores_do_not_take_a_pass_away(room):
    graded = grade(room, RIGHT, explain="Because.")

    for grade_id in ("explain", "reflect"):
        services.cell_grade_manually(
            cell=graded.cells.get(grade_id=grade_id), score=0, teacher=room.teacher
        )

    assert progress(room).exercise_passed
    assert completion.submission_outcome(graded).sentence() == "Auto-graded: passed."


def test_a_teachers_score_for_a_test_counts_as_its_score(room):
    graded = grade(room, HALF_RIGHT)

    services.cell_grade_manually(
        cell=graded.cells.get(grade_id="test_hidden"), score=2, teacher=room.teacher
    )

    assert progress(room).exercise_passed


def test_the_late_penalty_lowers_the_score_not_the_pass(room):
    Exercise.objects.filter(pk=room.exercise.pk).update(
        late_policy=Exercise.LatePolicy.PENALTY,
        late_penalty_percent=50,
        due_at="2000-01-01T00:00:00Z",
    )
    room.exercise.refresh_from_db()

    graded = grade(room, RIGHT)

    assert graded.is_late and graded.total == 1.5
    assert progress(room).exercise_passed


def test_an_exercise_graded_by_hand_only_passes_once_the_teacher_graded_it():
    source = notebook(
        answer("notes", "x = 1"),
        manual_answer("essay", "Write.\n### BEGIN SOLUTION\nText\n### END SOLUTION", points=1),
    )
    room = classroom(source=source)
    room.lesson = a_lesson(room.course, room.exercise, completion_rule="exercise")
    nb = answered(nbformat.from_dict(room.exercise.student_notebook), essay="My essay.")
    submission = services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=nbformat.writes(nb),
        origin=Submission.Origin.UPLOAD,
    )
    graded = services.submission_grade(submission_id=submission.pk)

    assert not progress(room).exercise_passed
    assert completion.submission_outcome(graded).sentence() == "1 point awaits your teacher."

    services.cell_grade_manually(
        cell=graded.cells.get(grade_id="essay"), score=1, teacher=room.teacher
    )

    assert progress(room).exercise_passed
    assert completion.submission_outcome(graded).sentence() == "Passed."


def test_the_result_in_the_panel_and_the_api_agree_for_a_failed_attempt(client, room):
    graded = grade(room, WRONG)
    client.force_login(room.student)

    api = client.get(f"/api/v1/submissions/{graded.uid}/").json()

    assert api["outcome"]["passed"] is False
    # explain was left unanswered (0 points, not awaiting): only the task awaits
    expected = "Auto-graded: not passed yet (0 of 3 points, 3 needed). 1 point awaits your teacher."
    assert api["outcome"]["summary"] == outcome_text(client, room) == expected


def test_an_attempt_not_graded_yet_has_no_outcome(client, room):
    nb = answered(nbformat.from_dict(room.exercise.student_notebook), square=RIGHT)
    queued = services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=nbformat.writes(nb),
        origin=Submission.Origin.UPLOAD,
    )
    client.force_login(room.student)

    api = client.get(f"/api/v1/submissions/{queued.uid}/").json()

    assert api["outcome"] is None and api["feedback_url"] is None
    assert completion.submission_outcome(queued) is None


def test_a_teachers_scores_reach_the_learning_record_with_the_new_total(room):
    from xapi.models import StatementOutbox

    graded = grade(room, RIGHT, explain="Because.")

    def scored():
        return StatementOutbox.objects.filter(verb__endswith="/scored").order_by("pk")

    (automatic,) = scored()
    assert automatic.statement["result"]["completion"] is False  # the teacher's part waits

    for grade_id, points in (("explain", 2), ("reflect", 1)):
        services.cell_grade_manually(
            cell=graded.cells.get(grade_id=grade_id), score=points, teacher=room.teacher
        )

    latest = scored().last()
    assert scored().count() == 3
    assert latest.statement["result"]["completion"] is True  # nothing waits any more
    assert latest.statement["result"]["score"]["raw"] == graded.max_total
