"""The courses API: catalogue, my progress, a cohort's progress (its teachers only), quiz
answers checked on the server; all of it in the published schema."""

import pytest
from rest_framework.test import APIClient

from courses import services
from courses.models import QuizAttempt
from tests.factories import CohortFactory, UserFactory, student_in, teacher_of

from .pages import course, curriculum, ids, lesson, question, quiz_lesson, translate

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def classroom():
    cohort = CohortFactory(code="baku-9a")
    teacher = teacher_of(cohort)
    a_course = course(curriculum(track="university"), title="Machine learning", is_open=True)
    quizzed = quiz_lesson(a_course, question("2 + 2 = ?"), title="Arithmetic")
    lesson(a_course, title="Reading", completion_rule="read")
    services.course_assign(course=a_course, cohort=cohort, assigned_by=teacher)
    student = student_in(cohort)
    return cohort, teacher, a_course, quizzed, student


def test_the_catalogue_lists_each_course_once_in_the_readers_language(api, classroom):
    _cohort, _teacher, a_course, _quizzed, _student = classroom
    translate(a_course, "az", title="Maşın öyrənməsi")
    course(title="Safe online", is_open=False)  # a school course

    english = api.get("/api/v1/courses/").json()
    azerbaijani = api.get("/api/v1/courses/", HTTP_ACCEPT_LANGUAGE="az").json()
    university = api.get("/api/v1/courses/?track=university").json()

    assert english["count"] == 2
    assert {c["title"] for c in english["results"]} == {"Machine learning", "Safe online"}
    assert "Maşın öyrənməsi" in {c["title"] for c in azerbaijani["results"]}
    assert [c["title"] for c in university["results"]] == ["Machine learning"]
    assert university["results"][0]["track"] == "university"
    detail = api.get(f"/api/v1/courses/{a_course.pk}/").json()
    assert detail["is_open"] is True and detail["url"].startswith("/en/")


def test_my_progress_lists_my_courses_and_skills(api, classroom):
    _cohort, _teacher, _course, quizzed, student = classroom
    _quiz, questions, choices = ids(quizzed)
    services.quiz_answer(
        student=student, lesson=quizzed, question_id=questions[0], answer=[choices[0][1]]
    )
    api.force_authenticate(student)

    body = api.get("/api/v1/my-progress/").json()

    (mine,) = body["courses"]
    assert mine["title"] == "Machine learning" and mine["percent"] == 50
    assert mine["next_lesson"] == "Reading"
    assert body["skills"][0]["code"] == "3.4" and body["skills"][0]["percent"] == 100


def test_a_quiz_answer_is_checked_and_never_reveals_the_answer(api, classroom):
    _cohort, _teacher, _course, quizzed, student = classroom
    _quiz, questions, choices = ids(quizzed)
    api.force_authenticate(student)

    wrong = api.post(
        "/api/v1/quiz-answers/",
        {"lesson": quizzed.pk, "question": questions[0], "answer": [choices[0][0]]},
        format="json",
    )
    right = api.post(
        "/api/v1/quiz-answers/",
        {"lesson": quizzed.pk, "question": questions[0], "answer": [choices[0][1]]},
        format="json",
    )

    assert wrong.status_code == 201 and wrong.json()["correct"] is False
    assert right.json() == {
        "correct": True,
        "explanation": "",
        "attempts_left": 1,
        "quiz_score": 1.0,
        "quiz_passed": True,
        "lesson_completed": True,
    }
    assert choices[0][1] not in wrong.content.decode()
    assert QuizAttempt.objects.count() == 2


def test_a_quiz_answer_for_a_question_that_does_not_exist_is_a_clear_400(api, classroom):
    _cohort, _teacher, _course, quizzed, student = classroom
    api.force_authenticate(student)

    response = api.post(
        "/api/v1/quiz-answers/",
        {"lesson": quizzed.pk, "question": "nope", "answer": ["1"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Question “nope” does not exist in this lesson; reload the page."
    )
    missing = api.post(
        "/api/v1/quiz-answers/", {"lesson": 999999, "question": "x", "answer": ["1"]}, format="json"
    )
    assert missing.status_code == 404


def test_cohort_progress_is_for_the_cohorts_teachers_only(api, classroom):
    cohort, teacher, a_course, _quizzed, student = classroom
    url = f"/api/v1/cohort-progress/{cohort.pk}/"

    api.force_authenticate(teacher)
    body = api.get(url).json()
    assert body["cohort"] == "baku-9a" and body["course"] == a_course.pk
    assert [s["username"] for s in body["students"]] == [student.username]
    assert [lesson["title"] for lesson in body["lessons"]] == ["Arithmetic", "Reading"]
    assert api.get(f"{url}?course=424242").status_code == 404

    for outsider in (student, teacher_of(CohortFactory()), UserFactory()):
        api.force_authenticate(outsider)
        assert api.get(url).status_code == 403


def test_the_schema_documents_the_courses_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/courses/", "/api/v1/my-progress/", "/api/v1/cohort-progress/{id}/"):
        assert path in schema
    assert "/api/v1/quiz-answers/" in schema


# ---------------------------------------------------------------------------------------
# Cached answers: the catalogue once per language until a page changes; my progress per
# student, retired with their dashboard (people.panels)
# ---------------------------------------------------------------------------------------
def test_a_warm_catalogue_reads_nothing_however_many_courses(
    api, classroom, django_assert_num_queries
):
    api.get("/api/v1/courses/")
    with django_assert_num_queries(0):
        first = api.get("/api/v1/courses/").json()
    for n in range(3):
        course(title=f"More {n}")
    api.get("/api/v1/courses/")
    with django_assert_num_queries(0):
        more = api.get("/api/v1/courses/").json()
    assert more["count"] == first["count"] + 3
    with django_assert_num_queries(0):
        paged = api.get("/api/v1/courses/?page_size=2&page=2").json()
    assert paged["results"] == more["results"][2:4] and paged["count"] == more["count"]


def test_a_published_change_shows_in_the_catalogue_at_once(api, classroom):
    _cohort, _teacher, a_course, _quizzed, _student = classroom
    assert "Machine learning" in api.get("/api/v1/courses/").content.decode()
    a_course.title = "Deep learning"
    a_course.save_revision().publish()
    titles = {c["title"] for c in api.get("/api/v1/courses/").json()["results"]}
    assert "Deep learning" in titles and "Machine learning" not in titles
    a_course.unpublish()
    assert api.get("/api/v1/courses/").json()["count"] == 0


def test_a_warm_progress_reads_nothing_however_many_lessons(
    api, classroom, django_assert_num_queries
):
    _cohort, _teacher, a_course, _quizzed, student = classroom
    api.force_authenticate(student)
    api.get("/api/v1/my-progress/")
    with django_assert_num_queries(0):
        api.get("/api/v1/my-progress/")
    for n in range(4):
        lesson(a_course, title=f"More {n}", completion_rule="read")
    assert api.get("/api/v1/my-progress/").json()["courses"][0]["lessons_total"] == 6
    with django_assert_num_queries(0):
        api.get("/api/v1/my-progress/")


def test_my_progress_shows_my_answers_at_once_and_nobody_elses(api, classroom):
    cohort, _teacher, _course, quizzed, student = classroom
    classmate = student_in(cohort)
    _quiz, questions, choices = ids(quizzed)
    api.force_authenticate(classmate)
    assert api.get("/api/v1/my-progress/").json()["courses"][0]["percent"] == 0
    api.force_authenticate(student)
    assert api.get("/api/v1/my-progress/").json()["courses"][0]["percent"] == 0
    services.quiz_answer(
        student=student, lesson=quizzed, question_id=questions[0], answer=[choices[0][1]]
    )
    mine = api.get("/api/v1/my-progress/").json()
    assert mine["courses"][0]["percent"] == 50 and mine["skills"][0]["percent"] == 100
    api.force_authenticate(classmate)
    theirs = api.get("/api/v1/my-progress/").json()
    assert theirs["courses"][0]["percent"] == 0 and theirs["skills"] == []


def test_overdue_follows_the_clock_while_progress_is_cached(api, classroom, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    cohort, teacher, a_course, _quizzed, student = classroom
    due = timezone.now() + timedelta(hours=1)
    services.course_assign(course=a_course, cohort=cohort, assigned_by=teacher, due_at=due)
    api.force_authenticate(student)
    (before,) = api.get("/api/v1/my-progress/").json()["courses"]
    assert before["overdue"] is False and before["due_at"] is not None
    later = due + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    (after,) = api.get("/api/v1/my-progress/").json()["courses"]
    assert after["overdue"] is True and {**after, "overdue": False} == before
