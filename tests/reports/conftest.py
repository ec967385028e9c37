"""Helpers for the reports tests: evidence recorded the way the platform records it
(evidence_replace: one batch, announced once after commit, the roll-up refresh queued and
run by Celery in place), cohorts of the current academic year."""

from __future__ import annotations

import itertools
import time
from datetime import datetime

import pytest
from django.utils import timezone

from curricula.models import Competence, CompetenceFramework
from evidence.models import CompetenceEvidence, EvidenceSource
from evidence.services import EvidenceItem, EvidenceScope, evidence_replace
from lms.celery import app
from people.models import Institution, Region
from reports.filters import academic_year_of
from reports.models import RecordKey
from reports.privacy import Cell, publish
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


def replace_evidence(student, key: str, items=(), *, when=None) -> list[CompetenceEvidence]:
    """What a quiz answer or a grading does: replace the student's evidence under `key`
    with `items` ((competence, level, score), ...; none: withdrawn) in one batch."""
    source = key.split(":")[0] if key.split(":")[0] in EvidenceSource.values else "quiz"
    return evidence_replace(
        student_id=student.pk,
        scope=EvidenceScope.of_keys(source, [key]),
        items=[EvidenceItem(key, c.pk, level, score) for c, level, score in items],
        recorded_at=when,
    )


@pytest.fixture
def replace(eager, django_capture_on_commit_callbacks):
    """replace_evidence, committed: the batch is announced, its refresh queued and run."""

    def replace(student, key: str, items=(), *, when=None) -> list[CompetenceEvidence]:
        with django_capture_on_commit_callbacks(execute=True):
            return replace_evidence(student, key, items, when=when)

    return replace


@pytest.fixture
def record(replace):
    """One piece of evidence under a key of its own (or `key`, replacing what it held),
    committed and rolled up; the row written."""

    def record(student, competence, *, level=1, score=1.0, when=None, key=None):
        key = key or f"quiz:test:{next(_keys)}"
        (row,) = replace(student, key, [(competence, level, score)], when=when)
        return row

    return record


@pytest.fixture
def region() -> Region:
    return Region.objects.get(code="baku")


def school(region: Region, **kwargs) -> Institution:
    return InstitutionFactory(region=region, **kwargs)


def evidence_rolled_up(groups, competences, key: str) -> None:
    """Quiz evidence for every student of `groups` ((cohort, students) pairs) on the first
    four competences, levels 1-4 spread over the last three months; then the roll-ups."""
    from reports.rollups import mastery_rebuild

    CompetenceEvidence.objects.bulk_create(
        CompetenceEvidence(
            student=s,
            competence=c,
            level=1 + (i + j) % 4,
            score=1.0,
            source="quiz",
            source_key=f"quiz:{key}:{j}",
            recorded_at=months_ago(i % 3),
        )
        for _cohort, students in groups
        for i, s in enumerate(students)
        for j, c in enumerate(competences[:4])
    )
    mastery_rebuild()


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
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def published(people, k: int = 10) -> int | None:
    """What a report shows for a count of `people` (a student once per time they are
    counted: once per competence in a results count), by the cell-key method."""
    key = dict(RecordKey.objects.filter(student__in=set(people)).values_list("student", "value"))
    return publish(Cell(len(people), sum(key[p.pk] for p in people)), k)


def another_waits_on_a_lock(cursor, seconds: float = 10) -> bool:
    """PostgreSQL: whether another connection waits on a lock (a row or key this one holds)
    within `seconds`; pg_stat_activity read afresh each time (inside a transaction it is
    otherwise read once and kept)."""
    for _ in range(int(seconds / 0.05)):
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE "
            "datname = current_database() AND wait_event_type = 'Lock'"
        )
        if cursor.fetchone()[0]:
            return True
        time.sleep(0.05)
    return False
