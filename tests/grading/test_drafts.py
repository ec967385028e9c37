"""Drafts: a student's answers are kept on the server as they type, come back on any
device, and "Reset to the original" forgets them. Bad input is refused with a reason and
nothing is stored; only the enrolled student of a ready exercise has a draft."""

from __future__ import annotations

import json

import nbformat
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from grading import drafts
from grading.models import Exercise, ExerciseDraft, Submission
from tests.grading.factories import RIGHT, WRONG, classroom, student_version
from tests.grading.notebook.builders import cell
from tests.grading.test_api import a_submission, assert_error, client_for

pytestmark = pytest.mark.django_db

MINE = "def square(x):\n\treturn x ** 2  # mine"
WHY = "Because *minus* times minus is plus."


@pytest.fixture
def room():
    return classroom()


def url(exercise) -> str:
    return f"/api/v1/exercises/{exercise.pk}/draft/"


def put(client, exercise, answers):
    return client.put(url(exercise), {"answers": answers}, format="json")


def put_raw(client, exercise, body: bytes | str):
    return client.generic("PUT", url(exercise), body, content_type="application/json")


def original(room, grade_id: str) -> str:
    return cell(student_version(room.exercise), grade_id).source


def page(room, user=None) -> str:
    browser = Client()
    browser.force_login(user or room.student)
    response = browser.get(reverse("grading:exercise", args=[room.exercise.pk]))
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------------------------------
# Bad input: a reason, and nothing stored (an earlier draft stays as it was)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (
            {"answers": {"square": RIGHT, "test_visible": "assert True"}},
            "unknown_cells",
            "test_visible",
        ),
        ({"answers": {"nope": "x", "square": RIGHT}}, "unknown_cells", "nope"),
        ({"answers": {"square": 42}}, "invalid", "text"),
        ({"answers": {"square": None}}, "invalid", "text"),
        ({"answers": {"square": ["def square(x):"]}}, "invalid", "text"),
        ({"answers": [["square", RIGHT]]}, "invalid", "object"),
        ({"answers": "def square(x): ..."}, "invalid", "object"),
        ({"square": RIGHT}, "invalid", "object"),
        ([], "invalid", "object"),
        ({"answers": {"square": "x = 1\x00"}}, "invalid", "not text"),
        ({"answers": {"square": "x" * (1024 * 1024 + 1)}}, "too_large", "1 MB"),
        (
            {"answers": {"square": "é" * (300 * 1024), "explain": "ü" * (300 * 1024)}},
            "too_large",
            "1 MB",
        ),
    ],
)
def test_answers_that_cannot_be_a_draft_are_refused_and_nothing_changes(room, body, code, says):
    client = client_for(room, "student")
    assert put(client, room.exercise, {"square": MINE}).status_code == 200

    response = client.put(url(room.exercise), body, format="json")

    assert_error(response, 400, code)
    assert says in response.json()["detail"]
    assert ExerciseDraft.objects.get().answers == {"square": MINE}


def test_a_lone_surrogate_and_broken_json_are_refused(room):
    client = client_for(room, "student")

    surrogate = put_raw(client, room.exercise, '{"answers": {"square": "x = \\ud800"}}')
    broken = put_raw(client, room.exercise, '{"answers": {"square": ')
    unknown_surrogate = put_raw(client, room.exercise, '{"answers": {"\\udfff": "x"}}')

    assert "not text" in assert_error(surrogate, 400, "invalid")["detail"]
    assert_error(broken, 400, "parse_error")
    assert_error(unknown_surrogate, 400, "unknown_cells")
    assert not ExerciseDraft.objects.exists()


def test_a_body_larger_than_a_request_may_be_is_refused_with_its_limit(room, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
    client = client_for(room, "student")

    response = put(client, room.exercise, {"square": "x" * (5 * 1024 * 1024)})

    assert "2 MB" in assert_error(response, 400, "too_large")["detail"]
    assert not ExerciseDraft.objects.exists()


def test_a_form_encoded_body_is_not_read_as_answers(room):
    client = client_for(room, "student")

    response = client.put(
        url(room.exercise), "answers=x", content_type="application/x-www-form-urlencoded"
    )

    assert_error(response, 415)
    assert not ExerciseDraft.objects.exists()


# ---------------------------------------------------------------------------------------
# Who has a draft: the enrolled student of a ready exercise, no one else
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("outsider", 404, "not_found"),
        ("teacher", 403, "permission_denied"),
        ("teacher_elsewhere", 404, "not_found"),
        ("analyst", 404, "not_found"),
    ],
)
def test_only_an_enrolled_student_has_a_draft(room, role, status, code):
    client = client_for(room, role)

    responses = [
        client.get(url(room.exercise)),
        put(client, room.exercise, {"square": MINE}),
        client.delete(url(room.exercise)),
    ]

    for response in responses:
        assert_error(response, status, code)
    assert not ExerciseDraft.objects.exists()


def test_an_exercise_that_is_not_published_has_no_drafts(room):
    Exercise.objects.filter(pk=room.exercise.pk).update(status=Exercise.Status.VALIDATING)
    client = client_for(room, "student")

    assert_error(put(client, room.exercise, {"square": MINE}), 404, "not_found")
    assert_error(client.get(url(room.exercise)), 404, "not_found")
    assert_error(client.get("/api/v1/exercises/123456789012345678901/draft/"), 404)
    assert not ExerciseDraft.objects.exists()


def test_a_session_without_its_csrf_token_cannot_write_a_draft(room):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(room.student)

    response = put(browser, room.exercise, {"square": MINE})

    assert_error(response, 403)
    assert not ExerciseDraft.objects.exists()


# ---------------------------------------------------------------------------------------
# Saving and restoring
# ---------------------------------------------------------------------------------------


def test_without_a_draft_the_original_answers_are_given(room):
    body = client_for(room, "student").get(url(room.exercise)).json()

    assert body == {
        "answers": {"square": original(room, "square"), "explain": original(room, "explain")},
        "saved": False,
        "updated_at": None,
    }
    assert "raise NotImplementedError()" in body["answers"]["square"]


def test_a_saved_draft_comes_back_on_another_device_and_in_the_page(room):
    saved = put(client_for(room, "student"), room.exercise, {"square": MINE, "explain": WHY})
    assert saved.status_code == 200, saved.content

    elsewhere = client_for(room, "student").get(url(room.exercise)).json()
    html = page(room)

    assert elsewhere["answers"] == {"square": MINE, "explain": WHY}
    assert elsewhere["saved"] is True and elsewhere["updated_at"]
    assert "return x ** 2  # mine</textarea>" in html
    assert "Because *minus* times minus is plus.</textarea>" in html
    assert "raise NotImplementedError()" not in html


def test_saving_again_replaces_the_draft_and_a_cell_left_out_shows_the_original(room):
    client = client_for(room, "student")
    put(client, room.exercise, {"square": MINE, "explain": WHY})

    body = put(client, room.exercise, {"square": RIGHT}).json()

    assert body["answers"] == {"square": RIGHT, "explain": original(room, "explain")}
    assert ExerciseDraft.objects.get().answers == {"square": RIGHT}


def test_a_students_draft_is_theirs_alone(room):
    put(client_for(room, "student"), room.exercise, {"square": MINE})

    classmates = client_for(room, "classmate").get(url(room.exercise)).json()

    assert classmates["saved"] is False
    assert classmates["answers"]["square"] == original(room, "square")
    assert "# mine" not in page(room, room.classmate)
    assert "# mine" not in page(room, room.teacher)  # the teacher's read-only panel


def test_reset_forgets_the_draft_and_gives_the_original_back(room):
    client = client_for(room, "student")
    put(client, room.exercise, {"square": MINE, "explain": WHY})

    response = client.delete(url(room.exercise))

    assert response.status_code == 200
    assert response.json() == {
        "answers": {"square": original(room, "square"), "explain": original(room, "explain")},
        "saved": False,
        "updated_at": None,
    }
    assert not ExerciseDraft.objects.exists()
    assert "# mine" not in page(room)
    assert client.delete(url(room.exercise)).status_code == 200  # nothing left: still fine


def test_a_submission_keeps_its_own_copy_and_is_not_made_by_a_draft(room):
    submission = a_submission(room, source=RIGHT)
    client = client_for(room, "student")

    put(client, room.exercise, {"square": WRONG})
    client.delete(url(room.exercise))

    submission.refresh_from_db()
    assert cell(nbformat.from_dict(submission.notebook), "square").source == RIGHT
    assert Submission.objects.count() == 1


def test_the_page_shows_whichever_is_newer_the_draft_or_the_latest_submission(room):
    client = client_for(room, "student")
    put(client, room.exercise, {"square": MINE})
    a_submission(room, source=RIGHT)  # uploaded from Jupyter after the draft was saved

    assert "return x * x</textarea>" in page(room)

    put(client, room.exercise, {"square": MINE})  # then typed on in the browser

    assert "return x ** 2  # mine</textarea>" in page(room)


def test_a_draft_of_a_cell_the_exercise_no_longer_has_is_not_shown(room):
    ExerciseDraft.objects.create(
        exercise=room.exercise, student=room.student, answers={"square": MINE, "gone": "x"}
    )

    body = client_for(room, "student").get(url(room.exercise)).json()

    assert body["answers"] == {"square": MINE, "explain": original(room, "explain")}
    assert drafts.answers_to_show(exercise=room.exercise, student=room.student, latest=None) == {
        "square": MINE
    }


def test_the_draft_api_is_in_the_schema(room):
    schema = json.loads(
        client_for(room, "student").get("/api/schema/", HTTP_ACCEPT="application/json").content
    )

    operations = schema["paths"]["/api/v1/exercises/{id}/draft/"]
    assert set(operations) >= {"get", "put", "delete"}
    assert "DraftAnswers" in json.dumps(operations["put"]["requestBody"])
