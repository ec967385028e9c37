"""Exercises, submissions and grading through the real sandbox, as the worker does it."""

import datetime as dt

import nbformat
import pytest
from django.utils import timezone

from courses.models import ExerciseOutcome, LessonProgress
from curricula.models import Competence
from evidence.models import CompetenceEvidence
from grading import services
from grading.models import CellResult, Exercise, ExerciseCellCompetence, ExerciseSummary, Submission
from grading.notebook import metadata
from grading.notebook.errors import NotebookError
from tests.factories import UserFactory
from tests.grading.factories import ExerciseFactory, a_lesson, classroom, student_version
from tests.grading.notebook.builders import answered, autotest, notebook, square_exercise

pytestmark = pytest.mark.django_db

RIGHT = "def square(x):\n    return x * x"
WRONG = "def square(x):\n    return x + 1"


def submit(exercise, student, source=RIGHT, **kwargs):
    nb = answered(student_version(exercise), square=source)
    return services.submission_create(
        exercise=exercise, student=student, notebook=nbformat.writes(nb), origin="upload", **kwargs
    )


class TestExerciseSource:
    def test_a_good_source_is_stored_released_and_queued_for_checking(
        self, django_capture_on_commit_callbacks
    ):
        exercise = Exercise(title="Squares", slug="squares")
        exercise.save()
        with django_capture_on_commit_callbacks() as callbacks:
            services.exercise_set_source(
                exercise=exercise, data=nbformat.writes(square_exercise()), filename="sq.ipynb"
            )
        exercise.refresh_from_db()
        assert exercise.status == Exercise.Status.VALIDATING
        assert exercise.max_score == 6
        assert "BEGIN HIDDEN TESTS" not in nbformat.writes(
            nbformat.from_dict(exercise.student_notebook)
        )
        assert "square(-7)" not in str(exercise.student_notebook)
        assert len(callbacks) == 1  # validation queued only once the transaction commits

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (b"{not json", "not valid JSON"),
            (b'{"cells": []}', "notebook"),
        ],
    )
    def test_a_bad_source_is_refused_and_nothing_is_stored(self, data, reason):
        exercise = ExerciseFactory(status=Exercise.Status.READY)
        before = exercise.source_notebook
        with pytest.raises(NotebookError, match=reason):
            services.exercise_set_source(exercise=exercise, data=data)
        exercise.refresh_from_db()
        assert exercise.source_notebook == before
        assert exercise.status == Exercise.Status.READY

    def test_duplicate_grade_ids_are_reported(self):
        source = notebook(autotest("t", "assert True"), autotest("t", "assert True"))
        with pytest.raises(NotebookError, match="t"):
            services.exercise_set_source(exercise=ExerciseFactory(), data=nbformat.writes(source))

    @pytest.mark.sandbox
    def test_validation_marks_a_sound_exercise_ready(self):
        exercise = ExerciseFactory(status=Exercise.Status.VALIDATING)
        exercise = services.exercise_validate(exercise_id=exercise.pk)
        assert exercise.status == Exercise.Status.READY
        assert exercise.validation_report["problems"] == []
        assert exercise.validation_report["student"]["total"] == 0

    @pytest.mark.sandbox
    def test_validation_explains_a_solution_that_fails_its_tests(self):
        broken = square_exercise()
        for c in broken.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") == "square":
                c.source = (
                    "def square(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
                )
        exercise = ExerciseFactory(source=broken, status=Exercise.Status.VALIDATING)
        exercise = services.exercise_validate(exercise_id=exercise.pk)
        assert exercise.status == Exercise.Status.INVALID
        assert any("test_visible" in p for p in exercise.validation_report["problems"])


class TestSubmissionCreate:
    def test_attempts_are_numbered_per_student(self):
        exercise = ExerciseFactory()
        alice, bob = UserFactory(), UserFactory()
        assert [submit(exercise, alice).attempt for _ in range(2)] == [1, 2]
        assert submit(exercise, bob).attempt == 1
        assert ExerciseSummary.objects.get(exercise=exercise, student=alice).attempts == 2

    def test_grading_is_queued_after_commit(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            submission = submit(ExerciseFactory(), UserFactory())
        assert submission.status == Submission.Status.QUEUED
        assert len(callbacks) == 1

    def test_attempts_beyond_the_limit_are_refused(self):
        exercise = ExerciseFactory(max_attempts=1)
        student = UserFactory()
        submit(exercise, student)
        with pytest.raises(services.SubmissionRefused, match="used your 1 attempt"):
            submit(exercise, student)
        assert Submission.objects.filter(student=student).count() == 1

    def test_a_late_submission_is_refused_under_the_refuse_policy(self):
        exercise = ExerciseFactory(
            due_at=timezone.now() - dt.timedelta(hours=1), late_policy="refuse"
        )
        with pytest.raises(services.SubmissionRefused, match="deadline"):
            submit(exercise, UserFactory())
        assert not Submission.objects.exists()

    def test_a_late_submission_is_marked_late(self):
        exercise = ExerciseFactory(due_at=timezone.now() - dt.timedelta(hours=1))
        assert submit(exercise, UserFactory()).is_late

    def test_an_exercise_not_ready_refuses_submissions(self):
        exercise = ExerciseFactory(status=Exercise.Status.INVALID)
        with pytest.raises(services.SubmissionRefused, match="not open"):
            submit(exercise, UserFactory())

    def test_a_notebook_of_another_exercise_is_refused(self):
        exercise = ExerciseFactory()
        other = notebook(autotest("other_test", "assert True"))
        with pytest.raises(services.SubmissionRefused, match="another exercise"):
            services.submission_create(
                exercise=exercise,
                student=UserFactory(),
                notebook=nbformat.writes(other),
                origin="upload",
            )
        assert not Submission.objects.exists()

    @pytest.mark.parametrize("data", [b"", b"hello", b'{"nbformat": 3, "worksheets": []}'])
    def test_something_that_is_not_a_current_notebook_is_refused(self, data):
        with pytest.raises(NotebookError):
            services.submission_create(
                exercise=ExerciseFactory(), student=UserFactory(), notebook=data, origin="upload"
            )
        assert not Submission.objects.exists()

    def test_answers_from_the_browser_fill_the_answer_cells(self):
        exercise = ExerciseFactory()
        submission = services.submission_from_answers(
            exercise=exercise,
            student=UserFactory(),
            answers={"square": RIGHT, "explain": "because"},
        )
        sources = {
            c["metadata"].get("nbgrader", {}).get("grade_id"): c["source"]
            for c in submission.notebook["cells"]
        }
        assert sources["square"] == RIGHT
        assert sources["explain"] == "because"
        assert submission.origin == "browser"

    def test_answers_for_cells_that_are_not_answers_are_refused(self):
        with pytest.raises(services.SubmissionRefused, match="test_visible"):
            services.submission_from_answers(
                exercise=ExerciseFactory(), student=UserFactory(), answers={"test_visible": "pass"}
            )


@pytest.mark.sandbox
class TestGrading:
    def test_a_right_answer_scores_every_autograded_point(self):
        submission = submit(ExerciseFactory(), UserFactory())
        graded = services.submission_grade(submission_id=submission.pk)
        assert graded.status == Submission.Status.GRADED
        cells = {c.grade_id: c for c in graded.cells.all()}
        assert cells["test_visible"].auto_score == 1
        assert cells["test_hidden"].auto_score == 2
        # an answer left as handed out scores nothing; a task waits for the teacher
        assert cells["explain"].status == CellResult.Status.FAILED
        assert cells["reflect"].status == CellResult.Status.NEEDS_MANUAL
        assert graded.total == 3 and graded.max_total == 6 and graded.needs_manual
        assert "square(-7)" not in graded.feedback_html  # hidden test never shown
        assert graded.grading_runs == 1

    def test_a_wrong_answer_fails_with_the_test_name(self):
        submission = submit(ExerciseFactory(), UserFactory(), source=WRONG)
        graded = services.submission_grade(submission_id=submission.pk)
        visible = graded.cells.get(grade_id="test_visible")
        assert visible.status == "failed" and visible.auto_score == 0
        assert "AssertionError" in visible.message
        assert graded.total == 0

    def test_grading_twice_does_not_grade_twice(self, monkeypatch):
        received = []  # what courses is told about the exercise
        monkeypatch.setattr(
            services, "exercise_outcome_record", lambda **kw: received.append(kw["exercise_id"])
        )
        submission = submit(ExerciseFactory(), UserFactory())
        services.submission_grade(submission_id=submission.pk)
        assert services.submission_grade(submission_id=submission.pk) is None
        assert received == [submission.exercise_id]
        assert CellResult.objects.filter(submission=submission).count() == 4
        submission.refresh_from_db()
        assert submission.grading_runs == 1

    def test_a_submission_left_running_by_a_dead_worker_is_graded_again(self):
        submission = submit(ExerciseFactory(), UserFactory())
        Submission.objects.filter(pk=submission.pk).update(status="running", grading_runs=1)
        graded = services.submission_grade(submission_id=submission.pk)
        assert graded.status == "graded" and graded.grading_runs == 2
        assert graded.cells.count() == 4

    def test_late_penalty_is_taken_off(self):
        exercise = ExerciseFactory(
            due_at=timezone.now() - dt.timedelta(hours=1),
            late_policy="penalty",
            late_penalty_percent=50,
        )
        graded = services.submission_grade(submission_id=submit(exercise, UserFactory()).pk)
        assert graded.raw_total == 3 and graded.total == 1.5

    def test_manual_grading_completes_the_score_and_the_summary(self):
        student, teacher = UserFactory(), UserFactory()
        exercise = ExerciseFactory()
        graded = services.submission_grade(submission_id=submit(exercise, student).pk)
        for grade_id, score in (("explain", 2), ("reflect", 1)):
            services.cell_grade_manually(
                cell=graded.cells.get(grade_id=grade_id), score=score, comment="ok", teacher=teacher
            )
        graded.refresh_from_db()
        assert graded.total == 6 and not graded.needs_manual
        summary = ExerciseSummary.objects.get(exercise=exercise, student=student)
        assert summary.best_score == 6

    def test_a_manual_score_above_the_maximum_is_refused(self):
        graded = services.submission_grade(
            submission_id=submit(ExerciseFactory(), UserFactory()).pk
        )
        with pytest.raises(ValueError, match="between 0 and 2"):
            services.cell_grade_manually(
                cell=graded.cells.get(grade_id="explain"), score=5, teacher=UserFactory()
            )

    def test_the_best_attempt_is_kept_in_the_summary(self):
        exercise, student = ExerciseFactory(), UserFactory()
        first = services.submission_grade(submission_id=submit(exercise, student).pk)
        services.submission_grade(submission_id=submit(exercise, student, source=WRONG).pk)
        summary = ExerciseSummary.objects.get(exercise=exercise, student=student)
        assert summary.best_submission_id == first.pk and summary.attempts == 2

    def test_bulk_regrade_reports_progress(self):
        exercise = ExerciseFactory()
        submissions = [submit(exercise, UserFactory()) for _ in range(2)]
        for s in submissions:
            services.submission_grade(submission_id=s.pk)
        job = services.exercise_regrade(exercise=exercise, requested_by=UserFactory())
        assert services.regrade_progress(job=job).done == 0
        services.submission_grade(submission_id=submissions[0].pk)
        progress = services.regrade_progress(job=job)
        assert (progress.done, progress.total, progress.percent) == (1, 2, 50)


@pytest.fixture
def parses(monkeypatch) -> list:
    """Every time a source notebook is parsed and checked (parse_source), wherever."""
    calls = []
    real = metadata._duplicate_id_problems  # runs once per parse_source

    def counting(nb):
        calls.append(1)
        return real(nb)

    monkeypatch.setattr(metadata, "_duplicate_id_problems", counting)
    return calls


class TestSourceParsedOnce:
    """A source notebook is read and checked when it is stored, not per submission."""

    def test_importing_reads_and_checks_the_source_once_and_stores_its_plan(self, parses):
        exercise, outcome = services.exercise_import(
            slug="squares",
            data=nbformat.writes(square_exercise()),
            filename="sq.ipynb",
            title="Squares",
            queue_check=False,
        )

        assert outcome == services.ImportOutcome.CREATED
        assert len(parses) == 1
        exercise.refresh_from_db()
        spec = exercise.source_spec
        assert [cell.grade_id for cell in spec.cells] == [
            "test_visible",
            "test_hidden",
            "explain",
            "reflect",
        ]
        assert spec.max_total == exercise.max_score == 6

    def test_submitting_and_grading_use_the_stored_plan(self, parses):
        exercise, student = ExerciseFactory(), UserFactory()
        parses.clear()

        graded = services.submission_grade(submission_id=submit(exercise, student).pk)

        assert graded.total == 3
        assert parses == []  # neither the submission check nor grading parsed the source


class TestResultsHandedOn:
    """Grading hands a student's results on in the same call that stores them: the graded
    cells as competence evidence, passed-or-not to the progress of the course's lessons."""

    def test_grading_gives_evidence_and_completes_the_lesson_while_tasks_await_a_teacher(self):
        room = classroom()
        programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
        for grade_id in ("test_hidden", "reflect"):
            ExerciseCellCompetence.objects.create(
                exercise=room.exercise, grade_id=grade_id, competence=programming, level=3
            )
        lesson = a_lesson(room.course, room.exercise, completion_rule="exercise")
        key = f"exercise:{room.exercise.pk}"

        graded = services.submission_grade(submission_id=submit(room.exercise, room.student).pk)

        evidence = {e.source_key: e.score for e in CompetenceEvidence.objects.all()}
        assert evidence == {f"{key}:test_hidden": 1.0}  # the task waits for the teacher
        progress = LessonProgress.objects.get(student=room.student, lesson=lesson)
        # every auto-graded point earned: the tasks awaiting the teacher do not block it
        assert progress.exercise_passed and progress.completed_at is not None

        for grade_id, score in (("explain", 2), ("reflect", 1)):
            services.cell_grade_manually(
                cell=graded.cells.get(grade_id=grade_id), score=score, teacher=room.teacher
            )

        evidence = {e.source_key: e.score for e in CompetenceEvidence.objects.all()}
        assert evidence == {f"{key}:test_hidden": 1.0, f"{key}:reflect": 1.0}
        progress.refresh_from_db()
        assert progress.exercise_passed and progress.completed_at is not None
        assert ExerciseOutcome.objects.get(
            student=room.student, exercise_id=room.exercise.pk
        ).passed
