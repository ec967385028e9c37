"""Helpers for the reports tests: evidence recorded the way the platform records it
(a row saved, its transaction committed), cohorts of the current academic year."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from django.utils import timezone

from curricula.models import Competence, CompetenceFramework
from evidence.models import CompetenceEvidence
from people.models import Institution, Region
from reports.selectors import academic_year_of
from tests.factories import CohortFactory, InstitutionFactory, student_in

_keys = itertools.count()


def this_year() -> str:
    return academic_year_of(timezone.localdate().replace(day=1))


def months_ago(n: int, day: int = 10) -> datetime:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - n
    return timezone.make_aware(datetime(index // 12, index % 12 + 1, day, 12, 0))


@pytest.fixture
def digcomp() -> CompetenceFramework:
    return CompetenceFramework.objects.get(kind=CompetenceFramework.Kind.DIGCOMP)


@pytest.fixture
def competences(digcomp) -> list[Competence]:
    return list(Competence.objects.filter(area__framework=digcomp).order_by("area__order", "order"))


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    """Save one piece of evidence and commit it (the roll-up follows on commit)."""

    def record(student, competence, *, level=1, score=1.0, when=None, key=None):
        with django_capture_on_commit_callbacks(execute=True):
            return CompetenceEvidence.objects.create(
                student=student,
                competence=competence,
                level=level,
                score=score,
                source=CompetenceEvidence.Source.QUIZ,
                source_key=key or f"quiz:test:{next(_keys)}",
                recorded_at=when or timezone.now(),
            )

    return record


@pytest.fixture
def region() -> Region:
    return Region.objects.get(code="baku")


def school(region: Region, **kwargs) -> Institution:
    return InstitutionFactory(region=region, **kwargs)


def cohort_with_students(institution: Institution, n: int, *, track="school", **kwargs):
    cohort = CohortFactory(
        institution=institution, track=track, academic_year=this_year(), **kwargs
    )
    return cohort, [
        student_in(cohort, first_name="Pupil", last_name=f"Secretname{i}") for i in range(n)
    ]


@pytest.fixture
def eager():
    """Celery tasks run in the calling thread (the worker's code path, without a worker)."""
    from lms.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
