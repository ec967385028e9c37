"""An evidence batch is rolled up by one task, queued on the default queue after the
writer's transaction commits: never inside it, never once per row, and running it twice
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection, transaction

from evidence.services import EvidenceItem, EvidenceScope, evidence_replace
from lms.celery import app
from reports import queue
from reports.models import MasteryCube, MasteryRollup
from reports.rollups import mastery_refresh_student
from tests.worker import WorkerProcess, wait_for

from .conftest import cohort_with_students, replace_evidence, school

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Queued:
    args: list  # what the task receives: ids only
    queue: str | None  # the queue it was sent to
    in_transaction: bool  # whether a transaction was open when it was queued


@pytest.fixture
def queued(monkeypatch) -> list[Queued]:
    """The refresh tasks queued, instead of running them."""
    calls: list[Queued] = []
    task = app.tasks[queue.MASTERY_REFRESH]

    def apply_async(args=None, kwargs=None, **options):
        calls.append(Queued(list(args), options.get("queue"), connection.in_atomic_block))

    monkeypatch.setattr(task, "apply_async", apply_async)
    return calls


# Real commits: a transactional test, the data of the migrations restored before it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_refresh_is_queued_after_commit_on_the_default_queue(queued, competences, region):
    """Nothing is queued or rolled up while the writer's transaction is open; once it
    commits, one task on the default queue, queued outside any transaction."""
    _cohort, (student,) = cohort_with_students(school(region), 1)
    with transaction.atomic():
        replace_evidence(student, "quiz:1:1", [(competences[0], 2, 1.0)])
        assert queued == []
        assert not MasteryRollup.objects.exists()
    assert queued == [Queued([student.pk, [competences[0].pk]], "default", False)]
    assert not MasteryRollup.objects.exists()  # the worker's job, not the writer's


def test_a_batch_of_many_rows_is_one_task(
    queued, competences, region, django_capture_on_commit_callbacks
):
    _cohort, (student,) = cohort_with_students(school(region), 1)
    items = [(competences[i % 3], 1 + i % 4, 1.0) for i in range(9)]
    with django_capture_on_commit_callbacks(execute=True):
        rows = replace_evidence(student, "exercise:7", [])  # nothing yet: nothing to refresh
    assert rows == [] and queued == []
    with django_capture_on_commit_callbacks(execute=True):
        rows = _grade(student, items)  # one notebook: nine cells, three competences
    assert len(rows) == 9
    ids = sorted({c.pk for c, _level, _score in items})
    assert queued == [Queued([student.pk, ids], "default", True)]


def _grade(student, items):
    """A notebook's graded cells as one batch, as grading hands them over."""
    return evidence_replace(
        student_id=student.pk,
        scope=EvidenceScope.under("exercise", "exercise:7:"),
        items=[
            EvidenceItem(f"exercise:7:cell-{n}", c.pk, level, score)
            for n, (c, level, score) in enumerate(items)
        ],
    )


def test_the_refresh_running_twice_changes_nothing(
    queued, competences, region, django_capture_on_commit_callbacks
):
    _cohort, students = cohort_with_students(school(region), 2)
    for student in students:
        with django_capture_on_commit_callbacks(execute=True):
            replace_evidence(
                student, "quiz:2:1", [(competences[0], 3, 1.0), (competences[1], 2, 1.0)]
            )
    assert len(queued) == 2
    for call in queued:
        mastery_refresh_student(student_id=call.args[0], competence_ids=call.args[1])
    before = (
        sorted(
            MasteryRollup.objects.values_list(
                "student", "competence", "level", "step_months", "step_levels"
            )
        ),
        sorted(MasteryCube.objects.values_list("competence", "month", "level", "change")),
    )
    assert before[0] and before[1]
    for call in queued:  # redelivered
        assert mastery_refresh_student(student_id=call.args[0], competence_ids=call.args[1]) == 0
    after = (
        sorted(
            MasteryRollup.objects.values_list(
                "student", "competence", "level", "step_months", "step_levels"
            )
        ),
        sorted(MasteryCube.objects.values_list("competence", "month", "level", "change")),
    )
    assert after == before


@pytest.fixture
def default_queue_worker(transactional_db, django_db_serialized_rollback):
    """A real worker that consumes the default queue only."""
    worker = WorkerProcess(queues="default").start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_of_the_default_queue_rolls_the_batch_up(
    default_queue_worker, competences, region
):
    _cohort, (student,) = cohort_with_students(school(region), 1)
    replace_evidence(student, "quiz:3:1", [(competences[0], 4, 1.0)])  # committed
    rollup = wait_for(
        lambda: MasteryRollup.objects.filter(student=student).first(),
        message=f"no roll-up:\n{default_queue_worker.log()}",
    )
    assert rollup.level == 4
