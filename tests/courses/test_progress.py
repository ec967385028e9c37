"""Progress per lesson (visited, completed by its rule), per course (percent, last activity)
and per competence (quiz answers and graded notebook cells, never counted twice)."""

import pytest
from django.urls import reverse

from courses import services
from courses.models import CourseProgress, LessonProgress
from evidence.models import CompetenceEvidence
from grading.models import CellResult, ExerciseCellCompetence, ExerciseSummary, Submission
from grading.services import exercise_outcome_publish
from tests.grading.factories import ExerciseFactory

from .pages import course, ids, lesson, question, quiz_lesson, student_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_course():
    return course(title="Cyber hygiene")


def test_a_visit_is_recorded_and_reading_completes_a_read_lesson(client, a_course):
    reading = lesson(a_course, title="Passwords", completion_rule="read")
    lesson(a_course, title="Phishing", completion_rule="read")
    student = student_of(a_course)
    client.force_login(student)

    client.get(reading.url)
    client.get(reading.url)

    progress = LessonProgress.objects.get(student=student, lesson=reading)
    assert progress.visits == 2 and progress.first_visited_at and not progress.completed_at
    html = client.get(reading.url).content.decode()
    assert 'data-testid="mark-read"' in html

    client.post(reverse("courses:lesson-read", args=[reading.pk]))

    progress.refresh_from_db()
    assert progress.completed_at
    summary = CourseProgress.objects.get(student=student, course=a_course)
    assert (summary.lessons_completed, summary.lessons_total, summary.percent) == (1, 2, 50)
    assert summary.last_activity_at


def test_a_quiz_lesson_is_completed_by_passing_not_by_reading(a_course):
    quizzed = quiz_lesson(a_course, question(), question())
    student = student_of(a_course)
    _quiz, questions, choices = ids(quizzed)

    with pytest.raises(services.QuizRefused):
        services.lesson_mark_read(student=student, lesson=quizzed)
    services.quiz_answer(
        student=student, lesson=quizzed, question_id=questions[0], answer=[choices[0][1]]
    )
    progress = LessonProgress.objects.get(student=student)
    assert progress.quiz_score == 0.5 and not progress.quiz_passed  # 50 % < 60 % pass mark
    assert progress.completed_at is None

    services.quiz_answer(
        student=student, lesson=quizzed, question_id=questions[1], answer=[choices[1][1]]
    )

    progress.refresh_from_db()
    assert progress.quiz_passed and progress.completed_at
    assert CourseProgress.objects.get(student=student).percent == 100


def test_publishing_a_new_lesson_lowers_everyones_percent(a_course):
    first = lesson(a_course, completion_rule="read")
    student = student_of(a_course)
    services.lesson_mark_read(student=student, lesson=first)
    assert CourseProgress.objects.get(student=student).percent == 100

    lesson(a_course, completion_rule="read")  # published: a signal recounts the course

    summary = CourseProgress.objects.get(student=student)
    assert (summary.lessons_completed, summary.lessons_total, summary.percent) == (1, 2, 50)
    assert summary.completed_at is not None  # completed once, stays completed


def graded_submission(exercise, student, *, scores: dict[str, tuple[float, float]], attempt=1):
    submission = Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=attempt,
        origin=Submission.Origin.BROWSER,
        notebook={},
        status=Submission.Status.GRADED,
        total=sum(score for score, _max in scores.values()),
        max_total=sum(top for _score, top in scores.values()),
    )
    for position, (grade_id, (score, top)) in enumerate(scores.items()):
        CellResult.objects.create(
            submission=submission,
            grade_id=grade_id,
            position=position,
            status="passed" if score == top else "failed",
            auto_score=score,
            max_score=top,
        )
    best = (
        Submission.objects.filter(exercise=exercise, student=student)
        .order_by("-total", "submitted_at")
        .first()
    )
    ExerciseSummary.objects.update_or_create(
        exercise=exercise,
        student=student,
        defaults={
            "best_submission": best,
            "best_score": best.total,
            "max_score": exercise.max_score,
            "passed": best.total >= exercise.max_score,
            "attempts": attempt,
        },
    )
    # what grading does once it stored the results
    exercise_outcome_publish(exercise=exercise, student=student)
    return submission


def test_graded_cells_are_evidence_and_a_regrade_replaces_it(a_course):
    from curricula.models import Competence

    exercise = ExerciseFactory(course=a_course, max_score=4)
    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    data = Competence.objects.get(area__framework__slug="digcomp-2-2", code="1.3")
    ExerciseCellCompetence.objects.create(
        exercise=exercise, grade_id="square", competence=programming, level=3
    )
    ExerciseCellCompetence.objects.create(
        exercise=exercise, grade_id="explain", competence=data, level=2
    )
    practice = lesson(
        a_course,
        body=[{"type": "exercise", "value": {"exercise": exercise.pk}}],
        completion_rule="exercise",
    )
    student = student_of(a_course)

    graded_submission(exercise, student, scores={"square": (1.0, 2.0), "explain": (2.0, 2.0)})
    exercise_outcome_publish(exercise=exercise, student=student)  # a regrade, same result

    evidence = {e.competence.code: e for e in CompetenceEvidence.objects.filter(student=student)}
    assert set(evidence) == {"3.4", "1.3"}  # one row each, not two
    assert evidence["3.4"].score == 0.5 and evidence["3.4"].level == 3
    assert not LessonProgress.objects.get(student=student, lesson=practice).completed_at

    graded_submission(
        exercise, student, scores={"square": (2.0, 2.0), "explain": (2.0, 2.0)}, attempt=2
    )

    evidence = {e.competence.code: e for e in CompetenceEvidence.objects.filter(student=student)}
    assert len(evidence) == 2 and evidence["3.4"].score == 1.0
    progress = LessonProgress.objects.get(student=student, lesson=practice)
    assert progress.exercise_passed and progress.completed_at
    assert CourseProgress.objects.get(student=student, course=a_course).percent == 100


def test_a_cell_waiting_for_a_teacher_is_not_evidence_yet(a_course):
    from curricula.models import Competence

    exercise = ExerciseFactory(course=a_course, max_score=2)
    ExerciseCellCompetence.objects.create(
        exercise=exercise,
        grade_id="explain",
        competence=Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4"),
        level=2,
    )
    student = student_of(a_course)
    submission = graded_submission(exercise, student, scores={"explain": (0.0, 2.0)})
    CellResult.objects.filter(submission=submission).update(auto_score=None)

    exercise_outcome_publish(exercise=exercise, student=student)

    assert not CompetenceEvidence.objects.exists()


def test_deleting_a_lesson_recounts_the_course(a_course, django_capture_on_commit_callbacks):
    first = lesson(a_course, completion_rule="read")
    second = lesson(a_course, completion_rule="read")
    student = student_of(a_course)
    services.lesson_mark_read(student=student, lesson=first)
    assert CourseProgress.objects.get(student=student).percent == 50

    with django_capture_on_commit_callbacks(execute=True):
        second.delete()

    assert CourseProgress.objects.get(student=student).percent == 100


def test_deleting_an_exercise_in_the_admin_retracts_its_evidence_and_pass(
    client, a_course, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    from courses.models import ExerciseOutcome
    from curricula.models import Competence
    from evidence.signals import evidence_replaced

    exercise = ExerciseFactory(course=a_course, max_score=2)
    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    ExerciseCellCompetence.objects.create(
        exercise=exercise, grade_id="square", competence=programming, level=3
    )
    other = ExerciseFactory(course=a_course, max_score=2)
    ExerciseCellCompetence.objects.create(
        exercise=other, grade_id="square", competence=programming, level=2
    )
    student = student_of(a_course)
    graded_submission(exercise, student, scores={"square": (2.0, 2.0)})
    graded_submission(other, student, scores={"square": (1.0, 2.0)})
    assert CompetenceEvidence.objects.filter(student=student).count() == 2
    assert ExerciseOutcome.objects.filter(student=student).count() == 2

    announced = []

    def listen(sender, student_id, competence_ids, **kwargs):
        announced.append((student_id, set(competence_ids)))

    evidence_replaced.connect(listen)
    try:
        admin = get_user_model().objects.create_superuser("staff", "s@example.org", "pw")
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("wagtailsnippets_grading_exercise:delete", args=[exercise.pk])
            )
    finally:
        evidence_replaced.disconnect(listen)

    assert response.status_code == 302
    assert not Submission.objects.filter(exercise_id=exercise.pk).exists()
    left = CompetenceEvidence.objects.filter(student=student)
    assert [e.source_key for e in left] == [f"exercise:{other.pk}:square"]
    assert list(
        ExerciseOutcome.objects.filter(student=student).values_list("exercise_id", flat=True)
    ) == [other.pk]
    assert announced == [(student.pk, {programming.pk})]  # the roll-ups hear of it once
