"""The demo's notebook exercises: one per track and the three of the Data and AI course
(with their data file), checked, linked to competences, in a lesson of a course that the
cohorts of its tracks have; loading twice changes nothing."""

from __future__ import annotations

import pytest

from courses.models import LessonPage
from demo import courses as demo_courses
from demo import grading as demo_grading
from demo import people as demo_people
from grading import access, services
from grading.models import Exercise, ExerciseCellCompetence
from people.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]


def load_everything():
    demo_people.load()
    demo_courses.load()
    demo_grading.load()


def test_the_demo_exercises_are_ready_in_a_lesson_of_their_track(client, monkeypatch):
    load_everything()

    exercises = {e.slug: e for e in Exercise.objects.select_related("course")}
    data_ai = {
        "air-quality-district-means",
        "air-quality-pm25-histogram",
        "air-quality-pollution-model",
    }
    assert set(exercises) == {
        "school-strong-passwords",
        "university-sensor-cleaning",
        "scholarship-knn-by-hand",
        *data_ai,
    }
    for slug, exercise in exercises.items():
        assert exercise.status == Exercise.Status.READY, exercise.validation_report
        assert exercise.validation_report["problems"] == []
        track = exercise.course.get_parent().specific.track
        if slug in data_ai:  # pandas, matplotlib and scikit-learn, reading the CSV file
            assert (track, exercise.course.slug) == ("university", "data-and-ai")
            assert list(exercise.files.values_list("path", flat=True)) == ["measurements.csv"]
        else:
            assert slug.startswith(track)
            assert not exercise.files.exists()
        assert exercise.competence_links.exists()
        assert "BEGIN HIDDEN TESTS" not in str(exercise.student_notebook)

    links = ExerciseCellCompetence.objects.filter(exercise=exercises["school-strong-passwords"])
    assert {(link.competence.code, link.level) for link in links} == {
        ("4.1", 3),
        ("4.1", 4),
        ("4.2", 3),
        ("4.2", 4),
    }
    knn = ExerciseCellCompetence.objects.filter(exercise=exercises["scholarship-knn-by-hand"])
    assert {link.competence.area.framework.slug for link in knn} == {"unesco-ai-students"}

    # the named demo students may solve their track's exercises, in a lesson page
    for username, slug in (
        ("pupil", "school-strong-passwords"),
        ("student", "university-sensor-cleaning"),
        ("scholar", "scholarship-knn-by-hand"),
        ("student", "air-quality-district-means"),
        ("scholar", "air-quality-pollution-model"),
    ):
        user = User.objects.get(username=username)
        assert access.may_submit(user, exercises[slug]), username
        client.force_login(user)
        lesson = _lesson_with(exercises[slug])
        html = client.get(lesson.url).content.decode()
        assert 'data-testid="exercise-panel"' in html, username
        assert "Submit my answers" in html
    assert not access.may_submit(User.objects.get(username="pupil"), exercises[slug])

    # loading again changes nothing and runs no check
    checks = []
    monkeypatch.setattr(services, "exercise_validate", lambda **kw: checks.append(kw))
    before = {e.slug: e.updated_at for e in Exercise.objects.all()}
    link_count = ExerciseCellCompetence.objects.count()

    load_everything()

    assert checks == []
    assert {e.slug: e.updated_at for e in Exercise.objects.all()} == before
    assert ExerciseCellCompetence.objects.count() == link_count
    assert all(_block_count(_lesson_with(e)) == 1 for e in Exercise.objects.all())


def _lesson_with(exercise):
    for lesson in LessonPage.objects.child_of(exercise.course).live():
        if _block_count(lesson, exercise):
            return lesson
    raise AssertionError(f"no lesson of {exercise.course} shows {exercise.slug}")


def _block_count(lesson, exercise=None) -> int:
    wanted = exercise.pk if exercise else None
    return sum(
        1
        for block in lesson.body.raw_data
        if block.get("type") == "exercise"
        and (wanted is None or (block.get("value") or {}).get("exercise") == wanted)
    )
