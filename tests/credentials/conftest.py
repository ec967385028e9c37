"""A course with two read-to-complete lessons, two competences (one with a target level in
its curriculum), assigned to a class; `complete(student)` reads every lesson through the
courses services, as the lesson pages do."""

from __future__ import annotations

import json
import urllib.request
from base64 import urlsafe_b64decode

import pytest
from joserfc import jws
from joserfc.jwk import JWKRegistry

from courses import services as course_services
from courses.models import LessonPage
from curricula.models import Competence, CurriculumCompetenceTarget, ProficiencyLevel
from lms.celery import app
from people.models import Institution
from tests.courses.pages import course, curriculum, lesson
from tests.factories import CohortFactory, InstitutionFactory, student_in


@pytest.fixture
def eager():
    """Celery tasks run in the calling thread (the worker's code path, without a worker)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


class Classroom:
    def __init__(self) -> None:
        school = InstitutionFactory(name_en="Baku School No. 6", kind=Institution.Kind.SCHOOL)
        self.cohort = CohortFactory(name="9-A", institution=school, track="school")
        plan = curriculum(title="Digital skills 5-9", track="school")
        self.course = course(plan, title="Python first steps", summary="Variables and loops.")
        programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
        safety = Competence.objects.get(area__framework__slug="digcomp-2-2", code="4.1")
        self.course.competences.set([programming, safety])
        self.course.save_revision().publish()
        CurriculumCompetenceTarget.objects.create(
            page=plan,
            competence=programming,
            level=ProficiencyLevel.objects.get(framework=programming.area.framework, number=4),
        )
        for title in ("Variables", "Loops"):
            lesson(self.course, title=title, completion_rule="read")
        course_services.course_assign(course=self.course, cohort=self.cohort, assigned_by=None)

    def student(self, **kwargs):
        return student_in(self.cohort, **kwargs)

    def complete(self, student) -> None:
        for page in LessonPage.objects.child_of(self.course).live():
            course_services.lesson_visit(student=student, lesson=page)
            course_services.lesson_mark_read(student=student, lesson=page)


@pytest.fixture
def room() -> Classroom:
    return Classroom()


# ---------------------------------------------------------------------------------------
# An outside verifier: HTTP, JSON and joserfc only, no platform code
# ---------------------------------------------------------------------------------------
def fetch(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (the test's server)
        return response.read(), dict(response.headers)


def b64json(part: str) -> dict:
    return json.loads(urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def outside_verify(token: str, jwk_set: dict) -> dict:
    """The credential in `token` if a key of `jwk_set` (by kid) signed it and its JWT
    claims agree with it (OB 3.0 JSON Web Token proof); raises otherwise."""
    header = b64json(token.split(".")[0])
    assert set(header) == {"alg", "kid", "typ"} and header["typ"] == "JWT"
    jwk = next(k for k in jwk_set["keys"] if k["kid"] == header["kid"])
    assert "d" not in jwk  # never a private key
    signed = jws.deserialize_compact(token, JWKRegistry.import_key(jwk), algorithms=[header["alg"]])
    payload = json.loads(signed.payload)
    assert payload["iss"] == payload["issuer"]["id"]
    assert payload["jti"] == payload["id"]
    assert payload["sub"] == payload["credentialSubject"]["id"]
    return payload
