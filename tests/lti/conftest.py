"""The test LMS (tests/lti/platform.py) started per test, the platform's registration of
it, and a university course with a fully auto-graded exercise."""

from __future__ import annotations

import nbformat
import pytest

from grading.notebook.metadata import parse_source
from grading.notebook.release import release
from lms.celery import app
from lti.models import Registration
from people.models import Institution
from tests.factories import InstitutionFactory
from tests.grading.factories import ExerciseFactory, a_course
from tests.grading.notebook.builders import SQUARE_SOLUTION, answer, autotest, markdown, notebook
from tests.lti.platform import TestLms

VISIBLE = "assert square(2) == 4"
HIDDEN_STRICT = (
    "assert square(3) == 9\n### BEGIN HIDDEN TESTS\nassert square(-7) == 49\n### END HIDDEN TESTS"
)
HIDDEN_LENIENT = (
    "assert square(3) == 9\n### BEGIN HIDDEN TESTS\nassert square(5) == 25\n### END HIDDEN TESTS"
)


def squares(hidden: str = HIDDEN_STRICT):
    """Worth 1 + 2 points, every one graded by the machine."""
    return notebook(
        markdown("# Squares\nWrite `square(x)`."),
        answer("square", SQUARE_SOLUTION),
        autotest("test_visible", VISIBLE, points=1),
        autotest("test_hidden", hidden, points=2),
    )


def set_source(exercise, source) -> None:
    """The teacher's corrected tests, stored as exercise_set_source would after checking."""
    nb = nbformat.from_dict(source)
    exercise.source_notebook = nb
    exercise.grading_spec = parse_source(nb).to_dict()
    exercise.student_notebook = release(nbformat.from_dict(source))
    exercise.save()


@pytest.fixture(autouse=True)
def _lti_settings(settings):
    settings.LTI_ALLOW_INSECURE_URLS = True  # the test LMS serves http on 127.0.0.1
    settings.LTI_TOOL_URL = "http://testserver"


@pytest.fixture
def lms():
    platform = TestLms().start()
    yield platform
    platform.stop()


@pytest.fixture
def university(db):
    return InstitutionFactory(name_en="Test University", kind=Institution.Kind.UNIVERSITY)


@pytest.fixture
def registration(db, lms, client, university):
    registration = Registration.objects.create(
        name="Test University Moodle",
        institution=university,
        issuer=lms.issuer,
        client_id=lms.client_id,
        deployment_ids=[lms.deployment_id],
        auth_login_url=lms.auth_login_url,
        auth_token_url=lms.token_url,
        keyset_url=lms.jwks_url,
    )
    lms.tool_jwks = client.get("/lti/jwks/").json()  # as the LMS would fetch it
    return registration


@pytest.fixture
def course(db):
    return a_course(track="university")


@pytest.fixture
def exercise(course):
    return ExerciseFactory(course=course, source=squares(), title="Squares")


@pytest.fixture
def eager():
    """Celery tasks run in the calling thread (the worker's code, without a worker)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
