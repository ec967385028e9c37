"""The grading API: who may see, download, submit and regrade what; errors say why; hidden
tests never reach a student."""

from __future__ import annotations

import json

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from grading import services
from grading.models import RegradeJob, Submission
from tests.grading.factories import (
    HALF_RIGHT,
    RIGHT,
    classroom,
    student_version,
    submission_notebook,
)
from tests.grading.notebook.builders import HIDDEN_CHECK, autotest, notebook

pytestmark = pytest.mark.django_db

SOLUTION_TEXT = "return x * x"  # the source's solution of `square`
MANUAL_SOLUTION_TEXT = "minus times minus"  # the source's solution of `explain`

ROLES = (
    "anonymous",
    "student",
    "outsider",
    "classmate",
    "teacher",
    "teacher_elsewhere",
    "analyst",
)


@pytest.fixture
def room():
    return classroom()


def client_for(room, role: str) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(getattr(room, role))
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"status", "code", "detail"} <= set(body)
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def submit_answers(client, exercise, answers=None):
    return client.post(
        f"/api/v1/exercises/{exercise.pk}/submit/",
        {"answers": answers if answers is not None else {"square": RIGHT}},
        format="json",
    )


def submit_file(client, exercise, content: str | bytes, name="answers.ipynb"):
    data = content.encode() if isinstance(content, str) else content
    upload = SimpleUploadedFile(name, data, content_type="application/x-ipynb+json")
    return client.post(
        f"/api/v1/exercises/{exercise.pk}/submit/", {"notebook": upload}, format="multipart"
    )


def a_submission(room, student=None, source=RIGHT) -> Submission:
    return services.submission_create(
        exercise=room.exercise,
        student=student or room.student,
        notebook=submission_notebook(room.exercise, source),
        origin=Submission.Origin.UPLOAD,
    )


# ---------------------------------------------------------------------------------------
# Exercises: list, detail, notebook download
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("student", True),
        ("outsider", False),
        ("teacher", True),
        ("teacher_elsewhere", False),
        ("analyst", False),
    ],
)
def test_the_exercise_list_shows_the_courses_exercises_to_their_people(room, role, sees):
    response = client_for(room, role).get("/api/v1/exercises/")

    assert response.status_code == 200
    ids = [e["id"] for e in response.json()["results"]]
    assert ids == ([room.exercise.pk] if sees else [])


def test_anonymous_clients_are_asked_to_authenticate(room):
    client = client_for(room, "anonymous")
    for response in (
        client.get("/api/v1/exercises/"),
        client.get(f"/api/v1/exercises/{room.exercise.pk}/"),
        client.get(f"/api/v1/exercises/{room.exercise.pk}/notebook/"),
        submit_answers(client, room.exercise),
        client.get("/api/v1/submissions/"),
    ):
        assert_error(response, 401, "not_authenticated")
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("student", 200),
        ("outsider", 404),
        ("teacher", 200),
        ("teacher_elsewhere", 404),
        ("analyst", 404),
    ],
)
def test_exercise_detail_and_notebook_download_follow_enrolment(room, role, status):
    client = client_for(room, role)
    detail = client.get(f"/api/v1/exercises/{room.exercise.pk}/")
    download = client.get(f"/api/v1/exercises/{room.exercise.pk}/notebook/")

    if status == 200:
        assert detail.status_code == download.status_code == 200
        assert detail.json()["slug"] == room.exercise.slug
        assert download["Content-Type"] == "application/x-ipynb+json"
        assert f'filename="{room.exercise.slug}.ipynb"' in download["Content-Disposition"]
    else:
        assert_error(detail, 404, "not_found")
        assert_error(download, 404, "not_found")


def test_the_downloaded_notebook_is_the_student_version(room):
    response = client_for(room, "student").get(f"/api/v1/exercises/{room.exercise.pk}/notebook/")

    text = response.content.decode()
    nb = nbformat.reads(text, as_version=4)
    sources = "\n".join(cell.source for cell in nb.cells)
    assert "raise NotImplementedError()" in sources
    assert "assert square(3) == 9" in sources  # the visible part of the hidden-test cell
    for secret in (HIDDEN_CHECK, "square(-7)", "BEGIN HIDDEN TESTS", SOLUTION_TEXT):
        assert secret not in text
    assert MANUAL_SOLUTION_TEXT not in text


def test_the_exercise_detail_never_carries_a_notebook(room):
    body = client_for(room, "student").get(f"/api/v1/exercises/{room.exercise.pk}/").json()

    assert "source_notebook" not in body and "student_notebook" not in body
    assert "square(-7)" not in json.dumps(body)


# ---------------------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------------------


def test_an_enrolled_student_submits_typed_answers(room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = submit_answers(client_for(room, "student"), room.exercise)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["attempt"] == 1 and body["origin"] == "browser"
    submission = Submission.objects.get(uid=body["id"])
    assert submission.student == room.student
    assert len(callbacks) == 1  # grading queued once the submission is committed


def test_an_enrolled_student_uploads_a_notebook(room):
    response = submit_file(
        client_for(room, "student"), room.exercise, submission_notebook(room.exercise)
    )

    assert response.status_code == 201, response.content
    assert response.json()["origin"] == "upload"
    assert Submission.objects.get().notebook["cells"]


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("outsider", 404, "not_found"),
        ("teacher", 403, "permission_denied"),
        ("teacher_elsewhere", 404, "not_found"),
        ("analyst", 404, "not_found"),
    ],
)
def test_only_enrolled_students_may_submit(room, role, status, code):
    client = client_for(room, role)
    typed = submit_answers(client, room.exercise)
    uploaded = submit_file(client, room.exercise, submission_notebook(room.exercise))

    assert_error(typed, status, code)
    assert_error(uploaded, status, code)
    assert not Submission.objects.exists()


V3_NOTEBOOK = json.dumps(
    {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "1", "outputs": []}]}],
    }
)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("this is not JSON", "not valid JSON"),
        ('{"hello": "world"}', "not a Jupyter notebook"),
        (
            '{"nbformat": 3, "nbformat_minor": 0, "cells": [], "metadata": {}}',
            "old format version 3",
        ),
        (
            '{"nbformat": 4, "nbformat_minor": 99, "cells": [], "metadata": {}}',
            "newer than the supported",
        ),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b" " * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
    ],
)
def test_a_file_that_is_not_a_current_notebook_is_refused_with_the_reason(room, content, reason):
    response = submit_file(client_for(room, "student"), room.exercise, content)

    body = assert_error(response, 400, "invalid_notebook")
    assert reason in body["detail"]
    assert reason in body["errors"]["notebook"][0]
    assert not Submission.objects.exists()


def test_a_real_nbformat_3_notebook_is_refused_for_its_version(room):
    response = submit_file(client_for(room, "student"), room.exercise, V3_NOTEBOOK)

    body = assert_error(response, 400, "invalid_notebook")
    assert "version 3" in body["detail"]


def test_a_notebook_of_another_exercise_is_refused(room):
    other = nbformat.writes(notebook(autotest("other_test", "assert True")))

    body = assert_error(
        submit_file(client_for(room, "student"), room.exercise, other), 400, "submission_refused"
    )
    assert "another exercise" in body["detail"]
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "either a notebook file or the answers"),
        ({"answers": {}}, "either a notebook file or the answers"),
        ({"answers": {"test_visible": "pass"}}, "test_visible"),
        ({"answers": ["square"]}, None),
    ],
)
def test_bad_answers_are_refused_with_the_reason(room, payload, reason):
    response = client_for(room, "student").post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/", payload, format="json"
    )

    body = assert_error(response, 400)
    if reason:
        assert reason in json.dumps(body)
    assert not Submission.objects.exists()


def test_a_request_body_that_is_not_json_is_refused(room):
    response = client_for(room, "student").post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/",
        "{answers: nope",
        content_type="application/json",
    )

    assert_error(response, 400, "parse_error")
    assert not Submission.objects.exists()


def test_sending_a_file_and_answers_at_once_is_refused(room):
    upload = SimpleUploadedFile("a.ipynb", submission_notebook(room.exercise).encode())
    response = client_for(room, "student").post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/",
        {"notebook": upload, "answers": json.dumps({"square": RIGHT})},
        format="multipart",
    )

    assert_error(response, 400)
    assert not Submission.objects.exists()


def test_attempts_beyond_the_limit_are_refused(room):
    room.exercise.max_attempts = 1
    room.exercise.save()
    client = client_for(room, "student")
    assert submit_answers(client, room.exercise).status_code == 201

    body = assert_error(submit_answers(client, room.exercise), 400, "submission_refused")
    assert "used your 1 attempt" in body["detail"]
    assert Submission.objects.count() == 1


def test_an_exercise_that_is_not_ready_refuses_submissions(room):
    room.exercise.status = "invalid"
    room.exercise.save()

    # students do not see exercises that are not open; the exercise's teacher does
    assert_error(submit_answers(client_for(room, "student"), room.exercise), 404, "not_found")
    assert not Submission.objects.exists()


# ---------------------------------------------------------------------------------------
# Submissions: list, detail, feedback, regrade
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("student", True),
        ("classmate", False),
        ("outsider", False),
        ("teacher", True),
        ("teacher_elsewhere", False),
        ("analyst", False),
    ],
)
def test_a_submission_is_seen_by_its_student_and_their_teacher_only(room, role, sees):
    submission = a_submission(room)
    client = client_for(room, role)

    listed = client.get("/api/v1/submissions/")
    detail = client.get(f"/api/v1/submissions/{submission.uid}/")
    feedback = client.get(f"/api/v1/submissions/{submission.uid}/feedback/")

    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["results"]] == ([str(submission.uid)] if sees else [])
    if sees:
        assert detail.status_code == 200 and detail.json()["id"] == str(submission.uid)
        assert feedback.status_code == 200
        assert feedback["Content-Type"].startswith("text/html")
        assert "script-src 'none'" in feedback["Content-Security-Policy"]
    else:
        assert_error(detail, 404, "not_found")
        assert_error(feedback, 404, "not_found")


def test_a_student_sees_only_their_own_submissions_in_the_list(room):
    mine = a_submission(room)
    a_submission(room, student=room.classmate)

    body = client_for(room, "student").get("/api/v1/submissions/").json()

    assert [s["id"] for s in body["results"]] == [str(mine.uid)]
    assert body["results"][0]["student"] == room.student.username


def test_an_unknown_submission_is_a_json_404(room):
    response = client_for(room, "student").get(
        "/api/v1/submissions/00000000-0000-0000-0000-000000000000/"
    )

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("student", 403, "permission_denied"),
        ("classmate", 404, "not_found"),
        ("teacher_elsewhere", 404, "not_found"),
        ("analyst", 404, "not_found"),
    ],
)
def test_only_the_students_teacher_may_regrade(room, role, status, code):
    submission = a_submission(room)
    Submission.objects.filter(pk=submission.pk).update(status="graded")

    response = client_for(room, role).post(f"/api/v1/submissions/{submission.uid}/regrade/")

    assert_error(response, status, code)
    assert Submission.objects.get(pk=submission.pk).status == "graded"


def test_the_teacher_regrades_a_submission(room, django_capture_on_commit_callbacks):
    submission = a_submission(room)
    Submission.objects.filter(pk=submission.pk).update(status="graded")

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(room, "teacher").post(
            f"/api/v1/submissions/{submission.uid}/regrade/"
        )

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    # sent to the graders once the transaction commits (the student's dashboard panel is
    # retired then too, people.panels)
    sends = [c for c in callbacks if c.__qualname__.startswith("submission_grading_queue.")]
    assert len(sends) == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("student", 404),
        ("teacher", 200),
        ("teacher_elsewhere", 404),
        ("analyst", 404),
    ],
)
def test_regrade_progress_is_for_the_exercises_teachers(room, role, status):
    a_submission(room)
    job = services.exercise_regrade(exercise=room.exercise, requested_by=room.teacher)

    response = client_for(room, role).get(f"/api/v1/regrades/{job.pk}/")

    if status == 200:
        assert response.json() == {"total": 1, "done": 0, "failed": 0, "percent": 0}
    else:
        assert_error(response, status)


def test_an_unknown_regrade_is_a_json_404(room):
    assert_error(client_for(room, "teacher").get("/api/v1/regrades/999999/"), 404, "not_found")
    assert not RegradeJob.objects.exists()


# ---------------------------------------------------------------------------------------
# Hidden tests never reach a student
# ---------------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_nothing_a_student_receives_contains_the_hidden_test(room):
    client = client_for(room, "student")
    response = submit_answers(client, room.exercise, {"square": HALF_RIGHT, "explain": "yes"})
    uid = response.json()["id"]
    services.submission_grade(submission_id=Submission.objects.get(uid=uid).pk)

    responses = {
        "exercise list": client.get("/api/v1/exercises/"),
        "exercise": client.get(f"/api/v1/exercises/{room.exercise.pk}/"),
        "notebook": client.get(f"/api/v1/exercises/{room.exercise.pk}/notebook/"),
        "submission list": client.get("/api/v1/submissions/"),
        "submission": client.get(f"/api/v1/submissions/{uid}/"),
        "feedback": client.get(f"/api/v1/submissions/{uid}/feedback/"),
        "submit": response,
    }
    detail = responses["submission"].json()
    assert detail["status"] == "graded" and detail["total"] == 1
    hidden = {c["grade_id"]: c for c in detail["cells"]}["test_hidden"]
    assert hidden["status"] == "failed" and hidden["message"]  # says it failed, not how
    for name, r in responses.items():
        text = r.content.decode()
        for secret in (HIDDEN_CHECK, "square(-7)", "negative numbers are positive"):
            assert secret not in text, f"{name} shows the hidden test"
        assert SOLUTION_TEXT not in text, f"{name} shows the solution"
    assert student_version(room.exercise)  # the stored student version itself is clean
    assert "square(-7)" not in json.dumps(room.exercise.student_notebook)


def test_answers_sent_as_a_multipart_form_field_are_accepted(room):
    response = client_for(room, "student").post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/",
        {"answers": json.dumps({"square": RIGHT})},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert response.json()["origin"] == "browser"


def test_answers_too_large_for_a_request_are_refused_as_json(room):
    response = submit_answers(
        client_for(room, "student"), room.exercise, {"square": "#" * (6 << 20)}
    )

    assert_error(response, 400)
    assert not Submission.objects.exists()
