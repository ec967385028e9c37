"""The demo country loads twice without duplicates, translated, its courses assigned;
the page editors open for every type."""

import pytest
from django.urls import reverse

from courses import demo
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
from people.models import Cohort, User
from tests.factories import UserFactory

from .pages import course, curriculum, home

pytestmark = pytest.mark.django_db


def test_the_demo_country_is_idempotent_and_translated(client):
    from lms import demo as lms_demo

    lms_demo.load()
    demo.load()
    counts = (CoursePage.objects.count(), LessonPage.objects.count(), Enrolment.objects.count())
    attempts = QuizAttempt.objects.count()
    demo.load()

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
    # every demo cohort has its track's courses; their students see them
    for cohort in Cohort.objects.all():
        assert CourseAssignment.objects.filter(cohort=cohort).count() == len(tracks[cohort.track])
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
    from tests.grading.factories import ExerciseFactory

    demo.load_pages()
    for track in ("school", "university", "scholarship"):
        course_page = demo.course_for_track(track)
        assert course_page.locale.language_code == "en"
        exercise = ExerciseFactory()
        practice = demo.attach_exercise(track=track, exercise=exercise)
        demo.attach_exercise(track=track, exercise=exercise)  # twice: no second block

        exercise.refresh_from_db()
        assert exercise.course == course_page
        for translation in LessonPage.objects.filter(translation_key=practice.translation_key):
            assert exercise_ids_in(translation.body.raw_data) == [exercise.pk]
            assert translation.completion_rule == "exercise"
            assert translation.live


@pytest.mark.parametrize("model", ["curriculumpage", "coursepage", "lessonpage"])
def test_the_page_editor_opens_for_each_page_type(client, model):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    parents = {
        "curriculumpage": lambda: curriculum().get_parent(),
        "coursepage": lambda: curriculum(),
        "lessonpage": lambda: course(),
    }
    parent = parents[model]()
    app = "curricula" if model == "curriculumpage" else "courses"

    response = client.get(reverse("wagtailadmin_pages:add", args=[app, model, parent.pk]))

    assert response.status_code == 200
    refused = client.get(reverse("wagtailadmin_pages:add", args=[app, model, home().pk]))
    assert refused.status_code in (302, 403)
