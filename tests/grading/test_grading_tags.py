"""Grading's parts of other apps' pages: the student's graded exercises among the recent
results of their dashboard, newest first with the quizzes, the same number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import services as course_services
from grading.models import Submission
from tests.courses.pages import ids, quiz_lesson
from tests.grading.factories import ExerciseFactory, classroom

pytestmark = pytest.mark.django_db


def graded(exercise, student, *, total: float, minutes_ago: int, attempt: int = 1):
    return Submission.objects.create(
        exercise=exercise,
        student=student,
        attempt=attempt,
        origin=Submission.Origin.BROWSER,
        notebook={},
        status=Submission.Status.GRADED,
        total=total,
        max_total=6,
        graded_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def recent_rows(client) -> list[str]:
    html = client.get(reverse("dashboard")).content.decode()
    section = html.split('data-testid="recent-results"')[1].split('data-testid="skill-profile"')[0]
    return section.split('data-testid="recent-result"')[1:]


def test_graded_exercises_are_recent_results_newest_first_with_the_quizzes(client):
    room = classroom()
    quizzed = quiz_lesson(room.course, title="Arithmetic")
    _quiz, questions, choices = ids(quizzed)
    graded(room.exercise, room.student, total=3, minutes_ago=30)
    course_services.quiz_answer(
        student=room.student, lesson=quizzed, question_id=questions[0], answer=[choices[0][1]]
    )
    cubes = ExerciseFactory(course=room.course, title="Cubes")
    Submission.objects.filter(pk=graded(cubes, room.student, total=6, minutes_ago=0).pk).update(
        graded_at=timezone.now() + dt.timedelta(minutes=1)
    )
    client.force_login(room.student)

    rows = recent_rows(client)

    assert len(rows) == 3
    assert "Cubes" in rows[0] and "100% ✓" in rows[0]
    assert reverse("grading:exercise", args=[cubes.pk]) in rows[0]
    assert "Arithmetic" in rows[1] and "Quiz" in rows[1]
    assert room.exercise.title in rows[2] and "50%" in rows[2] and "✓" not in rows[2]


def test_at_most_six_results_are_shown(client):
    room = classroom()
    for n in range(1, 9):
        exercise = ExerciseFactory(course=room.course, title=f"Exercise {n}")
        graded(exercise, room.student, total=n % 7, minutes_ago=n)
    client.force_login(room.student)

    assert len(recent_rows(client)) == 6


def test_an_exercise_is_one_row_with_its_latest_attempt(client):
    room = classroom()
    for attempt, total in ((1, 0), (2, 6), (3, 3)):
        Submission.objects.filter(
            pk=graded(room.exercise, room.student, total=total, minutes_ago=0, attempt=attempt).pk
        ).update(submitted_at=timezone.now() - dt.timedelta(minutes=10 - attempt))
    client.force_login(room.student)

    rows = recent_rows(client)

    assert len(rows) == 1
    assert room.exercise.title in rows[0] and "50%" in rows[0]  # attempt 3: 3 of 6


def test_a_teachers_regrade_does_not_move_an_old_result_to_the_top(client):
    room = classroom()
    old = graded(room.exercise, room.student, total=3, minutes_ago=0)
    cubes = ExerciseFactory(course=room.course, title="Cubes")
    graded(cubes, room.student, total=6, minutes_ago=0)
    # the student handed in the squares an hour ago; the teacher regraded them just now
    Submission.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - dt.timedelta(hours=1),
        graded_at=timezone.now() + dt.timedelta(minutes=5),
    )
    client.force_login(room.student)

    rows = recent_rows(client)

    assert [("Cubes" in row, room.exercise.title in row) for row in rows] == [
        (True, False),
        (False, True),
    ]


def test_results_waiting_for_a_grader_are_not_listed(client):
    room = classroom()
    Submission.objects.filter(
        pk=graded(room.exercise, room.student, total=3, minutes_ago=1).pk
    ).update(status=Submission.Status.QUEUED)
    client.force_login(room.student)

    assert recent_rows(client) == []
