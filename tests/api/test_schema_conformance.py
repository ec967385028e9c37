"""The API does what its published schema (/api/schema/) says, for every kind of caller.

schemathesis loads the schema the running app serves and sends every operation generated
requests, valid ones and invalid ones, as an anonymous client, a student, a teacher and a
ministry analyst (each with an API token), on a small classroom built with the factories.
Every answer is checked: never a server error; a status code, content type and body the
schema declares for that operation; invalid input refused with a 4xx.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from grading import services as grading_services
from grading.models import RegradeJob, Submission
from tests.courses.pages import ids, question, quiz_lesson
from tests.factories import PASSWORD, student_in
from tests.grading.factories import RIGHT, Classroom, classroom, submission_notebook

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "student", "teacher", "analyst")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Generated requests per operation and role, valid and invalid together; enough to find
# what the schema and the API disagree on, few enough for a busy 2-core machine.
MAX_EXAMPLES = 15
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261204,  # the same requests on every run: a failure can be replayed
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
        # single requests (each sent as every role), not sequences linking operations
        "phases": {"stateful": {"enabled": False}},
    }
)


@dataclass
class Place:
    """The classroom's objects, by what the API calls them."""

    room: Classroom
    lesson: object  # a quiz lesson of the course
    question: str  # its question's id
    choice: str  # one of the question's choices
    submission: Submission  # the student's
    regrade: RegradeJob  # the teacher's

    def user(self, role: str):
        return getattr(self.room, role)


@pytest.fixture
def place() -> Place:
    """A classroom: a course with an exercise and a quiz, assigned to a cohort; a student
    with a submission, the cohort's teacher with a bulk regrade, a ministry analyst, a
    classmate without an e-mail address; the regions and frameworks the migrations load
    (a city inside an economic region)."""
    room = classroom()
    lesson = quiz_lesson(room.course, question())
    _quiz, questions, choices = ids(lesson)
    student_in(room.cohort, email="")
    submission = grading_services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=submission_notebook(room.exercise),
        origin=Submission.Origin.UPLOAD,
    )
    regrade = RegradeJob.objects.create(exercise=room.exercise, requested_by=room.teacher, total=1)
    return Place(room, lesson, questions[0], choices[0][0], submission, regrade)


@pytest.fixture
def credentials(place) -> dict[str, dict[str, str]]:
    """Each role's Authorization header (none for an anonymous client)."""
    headers = {"anonymous": {}}
    for role in ROLES[1:]:
        token, _created = Token.objects.get_or_create(user=place.user(role))
        headers[role] = {"Authorization": f"Token {token.key}"}
    return headers


@pytest.fixture(autouse=True)
def _connection_kept_open():
    """Requests answered in the test's transaction: like Django's test client, the WSGI
    application keeps the database connection open between requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# The schema as the application serves it, loaded when the module is collected (no
# database needed to describe the API); schemathesis' lazy `from_fixture` needs a pytest
# internal that pytest 9.2 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # the classroom is built once per operation; requests change it only as a client would
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_answer_is_one_the_schema_declares(case, credentials):
    """Each generated request is sent as every role; each answer must be declared."""
    for role in ROLES:
        case.call_and_validate(headers=credentials[role], checks=CHECKS)


def known_requests(place: Place) -> list[tuple[str, str, dict]]:
    """(method, path in the schema, what to send) reaching each object of the classroom."""
    room = place.room
    cohort = {"id": room.cohort.pk}
    exercise = {"id": room.exercise.pk}
    submission = {"uid": str(place.submission.uid)}
    return [
        ("GET", "/api/v1/me/", {}),
        ("PATCH", "/api/v1/me/", {"body": {"email": ""}, "media_type": "application/json"}),
        ("GET", "/api/v1/regions/", {}),
        ("GET", "/api/v1/regions/{code}/", {"path_parameters": {"code": "baku"}}),
        ("GET", "/api/v1/regions/{code}/", {"path_parameters": {"code": "baku-city"}}),
        ("GET", "/api/v1/institutions/", {}),
        (
            "GET",
            "/api/v1/institutions/{id}/",
            {"path_parameters": {"id": room.cohort.institution_id}},
        ),
        ("GET", "/api/v1/cohorts/", {}),
        ("GET", "/api/v1/cohorts/{id}/", {"path_parameters": cohort}),
        ("GET", "/api/v1/cohorts/{id}/members/", {"path_parameters": cohort}),
        ("GET", "/api/v1/cohort-progress/{id}/", {"path_parameters": cohort}),
        ("GET", "/api/v1/courses/", {}),
        ("GET", "/api/v1/courses/{id}/", {"path_parameters": {"id": room.course.pk}}),
        ("GET", "/api/v1/my-progress/", {}),
        ("GET", "/api/v1/frameworks/", {}),
        ("GET", "/api/v1/frameworks/{slug}/", {"path_parameters": {"slug": "digcomp-2-2"}}),
        ("GET", "/api/v1/exercises/", {}),
        ("GET", "/api/v1/exercises/{id}/", {"path_parameters": exercise}),
        ("GET", "/api/v1/exercises/{id}/notebook/", {"path_parameters": exercise}),
        ("GET", "/api/v1/submissions/", {}),
        ("GET", "/api/v1/submissions/{uid}/", {"path_parameters": submission}),
        ("GET", "/api/v1/submissions/{uid}/feedback/", {"path_parameters": submission}),
        ("POST", "/api/v1/submissions/{uid}/regrade/", {"path_parameters": submission}),
        ("GET", "/api/v1/regrades/{id}/", {"path_parameters": {"id": place.regrade.pk}}),
        ("GET", "/api/v1/reports/", {}),
        (
            "POST",
            "/api/v1/quiz-answers/",
            {
                "body": {
                    "lesson": place.lesson.pk,
                    "question": place.question,
                    "answer": [place.choice],
                },
                "media_type": "application/json",
            },
        ),
        (
            "POST",
            "/api/v1/exercises/{id}/submit/",
            {
                "path_parameters": exercise,
                "body": {"answers": {"square": RIGHT}},
                "media_type": "application/json",
            },
        ),
        ("GET", "/api/v1/exercises/{id}/draft/", {"path_parameters": exercise}),
        (
            "PUT",
            "/api/v1/exercises/{id}/draft/",
            {
                "path_parameters": exercise,
                "body": {"answers": {"square": RIGHT}},
                "media_type": "application/json",
            },
        ),
        ("DELETE", "/api/v1/exercises/{id}/draft/", {"path_parameters": exercise}),
        (
            "POST",
            "/api/v1/auth/token/",
            {
                "body": {"username": room.student.username, "password": PASSWORD},
                "media_type": "application/json",
            },
        ),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_the_classrooms_own_objects_are_answered_as_the_schema_declares(place, credentials, role):
    """The generated requests above rarely hit an existing id: every object of the
    classroom, asked for by every role, is answered as declared too (200 or a refusal)."""
    for method, path, parts in known_requests(place):
        case = schema[path][method].Case(**parts)

        case.call_and_validate(headers=credentials[role], checks=CHECKS)
