"""The demo courses load twice without duplicates, translated, assigned to the demo
cohorts; the grading demo finds the practice lesson of each track."""

import pytest

from courses.models import (
    CourseAssignment,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
    QuizAttempt,
)
from courses.quiz import exercise_ids_in, quizzes_in
from curricula.models import CurriculumCompetenceTarget, CurriculumIndexPage
from demo import courses as demo_courses
from demo import people as demo_people
from people.models import Cohort, User
from tests.grading.factories import ExerciseFactory

pytestmark = pytest.mark.django_db


def test_the_demo_country_is_idempotent_and_translated(client):
    demo_people.load()
    demo_courses.load()
    counts = (CoursePage.objects.count(), LessonPage.objects.count(), Enrolment.objects.count())
    attempts = QuizAttempt.objects.count()
    demo_courses.load()

    assert (CoursePage.objects.count(), LessonPage.objects.count()) == counts[:2]
    assert Enrolment.objects.count() == counts[2]
    assert QuizAttempt.objects.count() == attempts  # classmates are simulated once
    assert CurriculumIndexPage.objects.count() == 3  # en, az, ru
    originals = CoursePage.objects.filter(locale__language_code="en")
    tracks = {}
    for course_page in originals:
        tracks.setdefault(course_page.get_parent().specific.track, []).append(course_page)
    assert {track: len(courses) >= 2 for track, courses in tracks.items()} == {
        "school": True,
        "university": True,
        "scholarship": True,
    }
    targets = CurriculumCompetenceTarget.objects.filter(page__locale__language_code="en")
    assert targets.count() == 7  # each translation carries its own copy
    for course_page in originals:
        titles = dict(
            CoursePage.objects.filter(translation_key=course_page.translation_key).values_list(
                "locale__language_code", "title"
            )
        )
        assert set(titles) == {"en", "az", "ru"}
        assert len(set(titles.values())) == 3, titles  # really translated
        lessons = LessonPage.objects.child_of(course_page).live()
        assert lessons.count() >= 2
        assert any(quizzes_in(lesson.body.raw_data) for lesson in lessons)
    # every demo cohort has its track's courses, and the Data and AI course of the university
    # track is shared with the scholarship track; their students see them
    shared = CoursePage.objects.get(slug="data-and-ai", locale__language_code="en")
    assert shared.get_parent().specific.track == "university"
    tracks["scholarship"].append(shared)
    for cohort in Cohort.objects.all():
        assigned = CourseAssignment.objects.filter(cohort=cohort).values_list("course", flat=True)
        assert sorted(assigned) == sorted(c.pk for c in tracks[cohort.track]), cohort.track
    assert Enrolment.objects.filter(student__username="scholar", course=shared).exists()
    pupil = User.objects.get(username="pupil")
    assert Enrolment.objects.filter(student=pupil).count() == len(tracks["school"])
    assert not LessonProgress.objects.filter(student=pupil).exists()  # starts fresh
    client.force_login(pupil)
    html = client.get(lessons_of("python-first-steps")[0].url).content.decode()
    assert '<span class="k">print</span>' in html or '<span class="nb">print</span>' in html


def lessons_of(slug):
    return list(
        LessonPage.objects.child_of(CoursePage.objects.get(slug=slug, locale__language_code="en"))
    )


def test_grading_demo_attaches_an_exercise_to_the_first_course_of_each_track():
    demo_courses.load_pages()
    for track in ("school", "university", "scholarship"):
        course_page = demo_courses.course_for_track(track)
        assert course_page.locale.language_code == "en"
        exercise = ExerciseFactory()
        practice = demo_courses.attach_exercise(track=track, exercise=exercise)
        demo_courses.attach_exercise(track=track, exercise=exercise)  # twice: no second block

        exercise.refresh_from_db()
        assert exercise.course == course_page
        for translation in LessonPage.objects.filter(translation_key=practice.translation_key):
            assert exercise_ids_in(translation.body.raw_data) == [exercise.pk]
            assert translation.completion_rule == "exercise"
            assert translation.live
