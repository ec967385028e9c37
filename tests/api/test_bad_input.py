"""Bad input is the client's mistake, never a server error: deeply nested JSON, ids that
are not numbers and integers too large for the database answer 400 or 404 with the API's
JSON error body (`{"status", "code", "detail"}`), and pages answer as pages do."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from grading.models import RegradeJob, Submission
from grading.notebook.errors import NotebookError
from grading.notebook.read import read_notebook
from tests.courses.pages import course, ids, quiz_lesson
from tests.factories import CohortFactory, student_in, teacher_of
from tests.grading.factories import classroom

pytestmark = pytest.mark.django_db

HUGE = 10**30  # far beyond a 64-bit integer column
# Deeper than Python's recursion limit (json raises RecursionError) and deeper than any
# legitimate body or notebook, but parseable (the parser's own depth limit refuses it).
BOTTOMLESS = 100_000
DEEP = 300


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"status", "code", "detail"} <= set(body)
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def room():
    return classroom()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# ---------------------------------------------------------------------------------------
# Deeply nested JSON: request bodies and notebooks
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [BOTTOMLESS, DEEP])
@pytest.mark.parametrize("shape", [nested, nested_object])
def test_a_deeply_nested_json_body_is_a_400(room, depth, shape):
    client = client_for(room.student)
    body = '{"lesson": 1, "question": "q", "answer": ' + shape(depth) + "}"

    for url in ("/api/v1/quiz-answers/", f"/api/v1/exercises/{room.exercise.pk}/submit/"):
        response = client.generic("POST", url, body, content_type="application/json")

        assert_error(response, 400, "parse_error")
    assert not Submission.objects.exists()


def test_deeply_nested_answers_in_a_form_are_a_400(room):
    response = client_for(room.student).post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/",
        {"answers": '{"square": ' + nested(BOTTOMLESS) + "}"},
        format="multipart",
    )

    body = assert_error(response, 400, "invalid")
    assert "answers" in body["errors"]
    assert not Submission.objects.exists()


def test_a_body_no_parser_reads_is_a_415_the_schema_declares(room):
    # The schema fuzzer found one (a media type that parsed to ""): any type no parser reads.
    from drf_spectacular.generators import SchemaGenerator

    response = client_for(room.student).generic(
        "POST", "/api/v1/quiz-answers/", b"lesson,question\n1,q\n", content_type="text/csv"
    )

    assert_error(response, 415, "unsupported_media_type")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "415" in schema["paths"]["/api/v1/quiz-answers/"]["post"]["responses"]


def deep_notebook(depth: int) -> bytes:
    return (
        '{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"widgets": '
        + nested(depth)
        + "}}"
    ).encode()


@pytest.mark.parametrize("depth", [BOTTOMLESS, DEEP])
def test_reading_a_deeply_nested_notebook_says_why_it_is_refused(depth):
    with pytest.raises(NotebookError) as caught:
        read_notebook(deep_notebook(depth))

    assert "nested" in caught.value.problems[0]


@pytest.mark.parametrize("depth", [BOTTOMLESS, DEEP])
def test_uploading_a_deeply_nested_notebook_through_the_api_is_a_400(room, depth):
    upload = SimpleUploadedFile("deep.ipynb", deep_notebook(depth))

    response = client_for(room.student).post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/", {"notebook": upload}, format="multipart"
    )

    body = assert_error(response, 400, "invalid_notebook")
    assert "nested" in body["detail"]
    assert not Submission.objects.exists()


def test_uploading_a_deeply_nested_notebook_on_the_exercise_page_shows_the_reason(room):
    client = Client()
    client.force_login(room.student)
    upload = SimpleUploadedFile("deep.ipynb", deep_notebook(BOTTOMLESS))

    response = client.post(
        f"/en/exercises/{room.exercise.pk}/upload/", {"notebook": upload}, follow=True
    )

    assert response.status_code == 200
    assert "nested" in response.content.decode()
    assert not Submission.objects.exists()


# ---------------------------------------------------------------------------------------
# Ids that are not numbers
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cohort-progress/null,null/",
        "/api/v1/cohort-progress/abc/",
        "/api/v1/regrades/false/",
        "/api/v1/regrades/1.5/",
        "/api/v1/courses/null/",
        "/api/v1/exercises/false/",
        "/api/v1/cohorts/null/",
        "/api/v1/cohorts/null/members/",
        "/api/v1/submissions/false/",
        "/api/v1/submissions/false/feedback/",
    ],
)
def test_an_id_that_is_not_a_number_is_a_404(room, path):
    assert_error(client_for(room.teacher).get(path), 404, "not_found")


def test_a_quiz_answer_for_a_lesson_id_that_is_not_a_number_is_a_400(room):
    response = client_for(room.student).post(
        "/api/v1/quiz-answers/",
        {"lesson": "null", "question": "q", "answer": ["1"]},
        format="json",
    )

    body = assert_error(response, 400, "invalid")
    assert "lesson" in body["errors"]


# ---------------------------------------------------------------------------------------
# Integers too large for the database
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/cohort-progress/{HUGE}/",
        f"/api/v1/regrades/{HUGE}/",
        f"/api/v1/courses/{HUGE}/",
        f"/api/v1/exercises/{HUGE}/",
        f"/api/v1/exercises/{HUGE}/notebook/",
        f"/api/v1/cohorts/{HUGE}/",
        f"/api/v1/cohorts/{HUGE}/members/",
    ],
)
def test_an_id_too_large_for_the_database_is_a_404(room, path):
    assert_error(client_for(room.teacher).get(path), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        f"/api/v1/exercises/?course={HUGE}",
        f"/api/v1/exercises/?course=-{HUGE}",
        f"/api/v1/submissions/?exercise={HUGE}",
        f"/api/v1/courses/?page={HUGE}",
        f"/api/v1/exercises/?page={HUGE}",
    ],
)
def test_an_integer_too_large_in_a_filter_is_a_400_or_404(room, query):
    response = client_for(room.teacher).get(query)

    assert response.status_code in (400, 404), response.content[:500]
    assert_error(response, response.status_code)


@pytest.mark.parametrize("size", ["0", "000", "-1", "ten", "1.5", " 5", "null"])
def test_a_page_size_that_is_not_a_whole_number_from_1_up_is_a_400(room, size):
    response = client_for(room.teacher).get(f"/api/v1/exercises/?page_size={size}")

    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {"page_size": ["Give a whole number from 1 up."]}


@pytest.mark.parametrize("size", ["1", "500", "501", str(HUGE), "9" * 5000, ""])
def test_a_whole_page_size_from_1_up_is_taken_however_large(room, size):
    response = client_for(room.teacher).get(f"/api/v1/exercises/?page_size={size}")

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("course", [str(HUGE), "abc", "0", "null,null"])
def test_cohort_progress_of_a_course_id_too_large_or_not_a_number_is_a_400(room, course):
    response = client_for(room.teacher).get(
        f"/api/v1/cohort-progress/{room.cohort.pk}/?course={course}"
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == ["course"]


def test_a_quiz_answer_for_a_lesson_id_too_large_is_a_400():
    quizzed = quiz_lesson(course(is_open=True))
    _quiz, questions, choices = ids(quizzed)
    client = client_for(student_in(CohortFactory()))

    def answer(lesson: str):
        body = (
            f'{{"lesson": {lesson}, "question": "{questions[0]}", "answer": ["{choices[0][0]}"]}}'
        )
        return client.generic(
            "POST", "/api/v1/quiz-answers/", body, content_type="application/json"
        )

    for lesson in (str(HUGE), str(-HUGE)):
        assert list(assert_error(answer(lesson), 400, "invalid")["errors"]) == ["lesson"]
    assert_error(answer("9" * 5000), 400, "parse_error")  # more digits than int() reads


def test_a_regrade_job_id_too_large_or_not_a_number_is_a_404_for_its_teacher(room):
    RegradeJob.objects.create(exercise=room.exercise, total=0)
    teacher = teacher_of(room.cohort)

    for pk in (HUGE, "false", "null,null"):
        assert_error(client_for(teacher).get(f"/api/v1/regrades/{pk}/"), 404, "not_found")


# ---------------------------------------------------------------------------------------
# NUL characters (PostgreSQL cannot compare text holding one: a DataError)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/regions/%00/", "/api/v1/frameworks/a%00b/", "/api/v1/submissions/%00/"]
)
def test_a_nul_character_in_the_path_is_a_404(room, path):
    assert_error(client_for(room.teacher).get(path), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/regions/?search=%00",
        "/api/v1/cohorts/?academic_year=2026%00",
        "/api/v1/exercises/?ordering=%00title",
        "/api/v1/reports/?region=baku%00",
        "/api/v1/courses/?language=%00",
        "/api/v1/regions/?%00=1",
    ],
)
def test_a_nul_character_in_a_query_parameter_is_a_400(room, query):
    body = assert_error(client_for(room.analyst).get(query), 400, "invalid")
    assert body["detail"] == "A query parameter contains a NUL character."
