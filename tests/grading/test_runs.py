"""Run and Check (grading/runs.py, grading/runs_api.py): who may run what, bad input refused
with a clear message and nothing stored, the per-student limit, Stop, and a run that is
never a submission. The execution itself runs in the real sandbox (cold kernels in this
process); tests/grading/test_runs_worker.py runs the whole way through a Celery worker."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.utils import timezone
from kombu import Queue
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grading import queue, runs
from grading.models import Exercise, ExerciseRun, ExerciseSummary, Submission
from grading.sandbox import pool
from lms import celery
from lms.celery import app
from lms.settings import base
from tests.api.test_schema_conformance import CHECKS, schema
from tests.api.test_schema_conformance import _connection_kept_open as _kept_open  # noqa: F401
from tests.grading.factories import RIGHT, WRONG, ExerciseFactory, classroom
from tests.grading.notebook.builders import (
    HIDDEN_CHECK,
    answer,
    autotest,
    notebook,
    read_only,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def room():
    return classroom()


@pytest.fixture
def sent(monkeypatch):
    """Messages handed to the broker: (task name, args, options)."""
    messages = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args=(), **kw: messages.append((name, tuple(args), kw))
    )
    return messages


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def post_run(user, exercise, body=None, **kwargs):
    body = {"answers": {"square": RIGHT}} if body is None else body
    return client_for(user).post(
        f"/api/v1/exercises/{exercise.pk}/runs/", body, format="json", **kwargs
    )


def assert_refused(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status and body["detail"]
    if code is not None:
        assert body["code"] == code
    assert ExerciseRun.objects.count() == 0, "nothing is stored for a refused run"
    return body["detail"]


# ---------------------------------------------------------------------------------------
# Starting a run
# ---------------------------------------------------------------------------------------


def test_an_enrolled_student_starts_a_run(room, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_run(room.student, room.exercise, {"answers": {"square": RIGHT}})

    assert response.status_code == 201, response.content
    body = response.json()
    run = ExerciseRun.objects.get()
    assert body == {"id": str(run.uid), "status": "queued", "url": f"/api/v1/runs/{run.uid}/"}
    assert run.student == room.student and run.answers == {"square": RIGHT}
    assert run.kind == "run" and run.upto == ""
    assert sent == [(runs.RUN_TASK, (run.pk,), {})]  # once committed


def test_runs_go_to_a_queue_of_their_own():
    assert app.amqp.router.route({}, runs.RUN_TASK)["queue"].name == "runs"
    assert app.amqp.router.route({}, queue.GRADE_SUBMISSION_TASK)["queue"].name == "grading"


@pytest.mark.parametrize(
    ("queues", "warm"), [({"runs"}, True), ({"grading", "default"}, True), ({"default"}, False)]
)
def test_a_worker_that_takes_runs_keeps_warm_kernels(monkeypatch, settings, queues, warm):
    started = []
    monkeypatch.setattr(pool, "start_process_pool", lambda **kwargs: started.append(kwargs))
    monkeypatch.setattr(app.amqp.queues, "_consume_from", {name: Queue(name) for name in queues})
    settings.GRADING_WARM_POOL = True

    celery._start_warm_kernels()

    assert bool(started) is warm


def test_the_student_reads_the_run_and_nobody_else_does(room):
    run_id = post_run(room.student, room.exercise).json()["id"]

    body = client_for(room.student).get(f"/api/v1/runs/{run_id}/").json()
    assert body["id"] == run_id and body["status"] == "queued" and body["kind"] == "run"
    assert body["cells"] == [] and body["tests"] == [] and body["error"] == ""
    assert isinstance(body["elapsed_s"], float) and body["elapsed_s"] >= 0

    for other in (room.classmate, room.teacher, room.outsider, room.analyst):
        response = client_for(other).get(f"/api/v1/runs/{run_id}/")
        assert response.status_code == 404, other
        assert client_for(other).post(f"/api/v1/runs/{run_id}/stop/").status_code == 404
    assert client_for(None).get(f"/api/v1/runs/{run_id}/").status_code == 401
    assert client_for(room.student).get("/api/v1/runs/not-a-uuid/").status_code == 404


def test_a_check_runs_every_cell(room):
    response = post_run(
        room.student, room.exercise, {"answers": {}, "kind": "check", "upto": "square"}
    )

    assert response.status_code == 201, response.content
    run = ExerciseRun.objects.get()
    assert run.kind == "check" and run.upto == "" and run.answers == {}


def test_a_teacher_of_the_course_may_run_it_too(room):
    assert post_run(room.teacher, room.exercise).status_code == 201


@pytest.mark.parametrize("role", ["outsider", "teacher_elsewhere", "analyst"])
def test_someone_not_enrolled_cannot_run_it(room, role):
    assert_refused(post_run(getattr(room, role), room.exercise), 404, "not_found")


def test_an_anonymous_client_cannot_run_anything(room):
    assert_refused(post_run(None, room.exercise), 401)


def test_an_exercise_that_is_not_published_cannot_be_run(room):
    Exercise.objects.filter(pk=room.exercise.pk).update(status=Exercise.Status.VALIDATING)

    assert_refused(post_run(room.student, room.exercise), 404, "not_found")
    detail = assert_refused(post_run(room.teacher, room.exercise), 400, "run_refused")
    assert detail == "This exercise is not open yet, so it cannot be run."


# ---------------------------------------------------------------------------------------
# Bad input: a clear message, nothing stored
# ---------------------------------------------------------------------------------------


def test_answers_for_cells_the_exercise_does_not_have_are_refused(room):
    response = post_run(room.student, room.exercise, {"answers": {"cube": "x", "square": RIGHT}})

    detail = assert_refused(response, 400, "run_refused")
    assert detail == "These are not answer cells of this exercise: cube."


def test_a_test_cell_cannot_be_answered(room):
    response = post_run(room.student, room.exercise, {"answers": {"test_visible": "pass"}})

    assert "test_visible" in assert_refused(response, 400, "run_refused")


def test_a_run_up_to_a_cell_the_exercise_does_not_have_is_refused(room):
    response = post_run(room.student, room.exercise, {"answers": {}, "upto": "nowhere"})

    assert "nowhere" in assert_refused(response, 400, "run_refused")


@pytest.mark.parametrize(
    "body",
    [
        {"answers": ["square", RIGHT]},
        {"answers": "def square(x): return x"},
        {"answers": {"square": ["a", "list"]}},
        {"answers": {"square": None}},
        {"answers": {"square": "x\u0000"}},
        {"answers": {}, "kind": "submit"},
        {"answers": {}, "upto": "x" * 201},
    ],
)
def test_malformed_requests_are_refused_field_by_field(room, body):
    response = post_run(room.student, room.exercise, body)

    assert_refused(response, 400, "invalid")
    assert response.json()["errors"]


def test_an_answer_over_the_limit_is_refused_with_the_limit(room, settings):
    settings.GRADING_ANSWER_MAX_BYTES = 1024 * 1024
    big = "# " + "x" * (1024 * 1024 + 20_000)

    detail = assert_refused(
        post_run(room.student, room.exercise, {"answers": {"square": big}}), 400, "run_refused"
    )
    assert detail == "The answers are too large to run: 1.02 MB, where 1 MB is the most."


def test_a_five_megabyte_answer_is_refused_before_it_is_read(room):
    response = client_for(room.student).post(
        f"/api/v1/exercises/{room.exercise.pk}/runs/",
        json.dumps({"answers": {"square": "x" * (5 * 1024 * 1024)}}),
        content_type="application/json",
    )

    detail = assert_refused(response, 400, "too_large")
    assert "too large" in detail


def test_a_broker_that_is_down_fails_the_run_with_a_message(
    room, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(app, "send_task", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = post_run(room.student, room.exercise).json()["id"]

    body = client_for(room.student).get(f"/api/v1/runs/{run_id}/").json()
    assert body["status"] == "failed"
    assert body["error"] == "Runs are not available right now. Please try again in a minute."


# ---------------------------------------------------------------------------------------
# Limits: pending runs per student, and the API's throttle
# ---------------------------------------------------------------------------------------


def test_a_student_has_at_most_three_runs_pending(room, settings):
    settings.GRADING_RUNS_MAX_PENDING = 3
    for _ in range(3):
        assert post_run(room.student, room.exercise).status_code == 201

    response = post_run(room.student, room.exercise)

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "too_many_runs"
    assert body["detail"].startswith("You already have 3 runs waiting or running.")
    assert ExerciseRun.objects.count() == 3
    # a classmate is not held up by it
    assert post_run(room.classmate, room.exercise).status_code == 201
    # one finishes: the student may run again
    ExerciseRun.objects.filter(student=room.student).filter(
        pk=ExerciseRun.objects.filter(student=room.student).first().pk
    ).update(status=ExerciseRun.Status.DONE)
    assert post_run(room.student, room.exercise).status_code == 201


def test_a_run_lost_on_the_server_no_longer_blocks_the_student(room, settings):
    settings.GRADING_RUNS_MAX_PENDING = 1
    assert post_run(room.student, room.exercise).status_code == 201
    ExerciseRun.objects.update(created_at=timezone.now() - timezone.timedelta(hours=1))

    assert post_run(room.student, room.exercise).status_code == 201

    lost = ExerciseRun.objects.order_by("created_at").first()
    assert lost.status == "failed" and "lost" in lost.error


def test_runs_have_a_throttle_of_their_own(room, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "runs": "2/minute",
        },
    }
    settings.GRADING_RUNS_MAX_PENDING = 100
    try:
        assert [post_run(room.student, room.exercise).status_code for _ in range(3)] == [
            201,
            201,
            429,
        ]
        assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["runs"]  # a production rate
    finally:
        cache.clear()


# ---------------------------------------------------------------------------------------
# Stop
# ---------------------------------------------------------------------------------------


def test_stopping_a_queued_run_ends_it_at_once_and_the_worker_leaves_it(room):
    run_id = post_run(room.student, room.exercise).json()["id"]

    response = client_for(room.student).post(f"/api/v1/runs/{run_id}/stop/")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "failed" and body["error"] == "Stopped"
    run = ExerciseRun.objects.get(uid=run_id)
    assert run.stop_requested and run.finished_at is not None
    assert runs.run_execute(run_id=run.pk) is None  # the worker's delivery comes later
    assert ExerciseRun.objects.get(uid=run_id).status == "failed"


def test_stopping_a_finished_run_changes_nothing(room):
    run_id = post_run(room.student, room.exercise).json()["id"]
    ExerciseRun.objects.filter(uid=run_id).update(status=ExerciseRun.Status.DONE)

    body = client_for(room.student).post(f"/api/v1/runs/{run_id}/stop/").json()

    assert body["status"] == "done" and body["error"] == ""


# ---------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------


def test_the_run_api_is_in_the_published_schema(client):
    schema = client.get("/api/schema/?format=json").json()

    assert "post" in schema["paths"]["/api/v1/exercises/{id}/runs/"]
    assert "get" in schema["paths"]["/api/v1/runs/{uid}/"]
    assert "202" in schema["paths"]["/api/v1/runs/{uid}/stop/"]["post"]["responses"]
    run = schema["components"]["schemas"]["Run"]["properties"]
    assert {"id", "kind", "status", "upto", "error", "elapsed_s", "cells", "tests"} <= set(run)
    output = schema["components"]["schemas"]["RunOutput"]
    assert set(output["discriminator"]["mapping"]) == {"stream", "error", "image", "html", "text"}


def test_a_run_with_every_kind_of_output_is_answered_as_the_schema_declares(room):
    outputs = [
        {"type": "stream", "name": "stdout", "text": ""},
        {"type": "error", "ename": "AssertionError", "evalue": "", "traceback": "----> 1"},
        {"type": "image", "mime": "image/svg+xml", "data": "PHN2Zy8+"},
        {"type": "html", "html": "<table><tr><td>1</td></tr></table>"},
        {"type": "text", "text": "9"},
    ]
    run = ExerciseRun.objects.create(
        exercise=room.exercise,
        student=room.student,
        kind=ExerciseRun.Kind.CHECK,
        status=ExerciseRun.Status.DONE,
        outputs=[
            {"index": 1, "grade_id": None, "status": "ok", "outputs": outputs},
            {
                "index": 3,
                "grade_id": "test_visible",
                "status": "error",
                "outputs": [],
                "test": True,
                "message": "1 + 4 + 9 is 14",
            },
        ],
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    token = Token.objects.create(user=room.student)
    case = schema["/api/v1/runs/{uid}/"]["GET"].Case(path_parameters={"uid": str(run.uid)})

    response = case.call_and_validate(
        headers={"Authorization": f"Token {token.key}"}, checks=CHECKS
    )

    assert response.json()["cells"][0]["outputs"] == outputs
    assert response.json()["tests"] == [
        {"grade_id": "test_visible", "passed": False, "message": "1 + 4 + 9 is 14"}
    ]


# ---------------------------------------------------------------------------------------
# Executing (the real sandbox, a cold kernel in this process)
# ---------------------------------------------------------------------------------------


def run_now(exercise, student, answers, **kwargs) -> ExerciseRun:
    run = runs.run_create(exercise=exercise, student=student, answers=answers, **kwargs)
    runs.run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def read(run, user) -> dict:
    response = client_for(user).get(f"/api/v1/runs/{run.uid}/")
    assert response.status_code == 200
    return response.json()


@pytest.mark.sandbox
def test_a_run_up_to_a_cell_shows_the_outputs_of_the_cells_until_it(room):
    source = "def square(x):\n    print('squaring', x)\n    return x * x\n\nsquare(3)"

    run = run_now(room.exercise, room.student, {"square": source}, upto="square")
    body = read(run, room.student)

    assert body["status"] == "done" and body["error"] == ""
    assert [(c["grade_id"], c["status"]) for c in body["cells"]] == [
        ("setup", "ok"),
        ("square", "ok"),
    ]
    square = body["cells"][1]
    assert square["index"] == 2  # its place in the notebook the student sees
    assert square["outputs"] == [
        {"type": "stream", "name": "stdout", "text": "squaring 3\n"},
        {"type": "text", "text": "9"},
    ]
    assert body["tests"] == []
    assert body["elapsed_s"] > 0


@pytest.mark.sandbox
def test_a_run_is_never_a_submission(room):
    room.exercise.max_attempts = 1
    room.exercise.save()

    run_now(room.exercise, room.student, {"square": RIGHT}, kind="check")
    run_now(room.exercise, room.student, {"square": WRONG})

    assert Submission.objects.count() == 0
    assert ExerciseSummary.objects.count() == 0  # what the gradebook and progress read
    listed = client_for(room.student).get("/api/v1/submissions/").json()
    assert listed["count"] == 0
    # and no attempt was used: the one attempt allowed is still there
    submitted = client_for(room.student).post(
        f"/api/v1/exercises/{room.exercise.pk}/submit/",
        {"answers": {"square": RIGHT}},
        format="json",
    )
    assert submitted.status_code == 201 and submitted.json()["attempt"] == 1


@pytest.mark.sandbox
def test_a_check_reports_the_visible_tests_with_the_assertions_message(room):
    source = notebook(
        read_only("setup", "import math"),
        answer(
            "total",
            "def total(xs):\n    ### BEGIN SOLUTION\n    return sum(xs)\n    ### END SOLUTION",
        ),
        autotest("test_message", "assert total([1, 4, 9]) == 14, '1 + 4 + 9 is 14'"),
        autotest("test_plain", "assert total([]) == 0"),
        autotest(
            "test_hidden",
            "assert total([2]) == 2\n### BEGIN HIDDEN TESTS\n"
            "assert total([-1]) == -1, 'SECRET-HIDDEN'\n### END HIDDEN TESTS",
        ),
    )
    exercise = ExerciseFactory(source=source, course=room.course)

    run = run_now(
        exercise, room.student, {"total": "def total(xs):\n    return len(xs)"}, kind="check"
    )
    body = read(run, room.student)

    assert body["status"] == "done"
    assert body["tests"] == [
        {"grade_id": "test_message", "passed": False, "message": "1 + 4 + 9 is 14"},
        {"grade_id": "test_plain", "passed": True, "message": ""},
        {
            "grade_id": "test_hidden",
            "passed": False,
            "message": "This check failed: assert total([2]) == 2",
        },
    ]
    # a check shows every cell, each failing test with its own error
    assert [c["status"] for c in body["cells"]] == ["ok", "ok", "error", "ok", "error"]
    assert "SECRET-HIDDEN" not in json.dumps(body)


@pytest.mark.sandbox
def test_the_hidden_tests_are_never_in_a_run_even_when_the_answer_looks_for_them(room):
    snoop = (
        "import sys, gc\n"
        "def square(x):\n"
        "    return x * x\n"
        "print([str(o) for o in gc.get_objects() if isinstance(o, str) and 'BEGIN HIDDEN' in o])\n"
        "print(In)"
    )

    run = run_now(room.exercise, room.student, {"square": snoop}, kind="check")

    text = json.dumps(read(run, room.student))
    assert HIDDEN_CHECK not in text and "square(-7)" not in text
    assert "test_hidden" in text  # its visible part did run


@pytest.mark.sandbox
def test_a_run_stops_at_the_first_error_and_names_it_where_it_happened(room):
    run = run_now(room.exercise, room.student, {"square": "def square(x)\n    return x * x"})
    body = read(run, room.student)

    square, *after = body["cells"][1:]
    assert square["status"] == "error"
    [error] = square["outputs"]
    assert error["type"] == "error" and error["ename"] == "SyntaxError"
    assert "\x1b" not in error["traceback"]
    assert all(c["status"] == "not_run" and c["outputs"] == [] for c in after)
    assert "NameError" not in json.dumps(body)


@pytest.mark.sandbox
def test_runaway_code_ends_at_the_runs_cell_limit(room, settings):
    settings.GRADING_RUN_CELL_TIMEOUT = 1.5
    started = timezone.now()

    run = run_now(room.exercise, room.student, {"square": "while True:\n    pass"}, upto="square")

    assert (timezone.now() - started).total_seconds() < 15
    body = read(run, room.student)
    square = body["cells"][1]
    assert square["status"] == "timeout"
    assert "1.5 s time limit" in json.dumps(square["outputs"])


@pytest.mark.sandbox
def test_a_plot_and_a_table_come_back_as_an_image_and_a_table(room):
    source = (
        "import matplotlib.pyplot as plt\n"
        "import pandas as pd\nfrom IPython.display import display\n"
        "def square(x):\n    return x * x\n"
        "df = pd.DataFrame({'x': range(4)})\ndf['square'] = df['x'].map(square)\n"
        "display(df)\nplt.plot(df['x'], df['square'])\nplt.show()"
    )

    run = run_now(room.exercise, room.student, {"square": source}, upto="square")

    outputs = read(run, room.student)["cells"][1]["outputs"]
    kinds = [o["type"] for o in outputs]
    assert kinds == ["html", "image"], outputs
    assert outputs[0]["html"].startswith("<table>") and "<td>9</td>" in outputs[0]["html"]
    assert outputs[1]["mime"] == "image/png" and len(outputs[1]["data"]) > 1000
