"""xAPI statements from the platform to a real Ralph LRS process (tests/xapi/conftest.py)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import nbformat
import pytest
from django.db import transaction
from django.utils import timezone

from courses import services as courses
from grading import services as grading
from grading.models import Submission
from tests.courses import pages
from tests.factories import PASSWORD, staff_user
from tests.grading.factories import a_lesson, classroom, student_version
from tests.grading.notebook.builders import answered
from tests.worker import wait_for
from tests.xapi.conftest import ROOT, free_port
from xapi.models import LearnerAccount, StatementOutbox
from xapi.services import flush_send, outbox_flush

RIGHT = "def square(x):\n    return x * x"
ADL = "http://adlnet.gov/expapi/verbs/"
JOURNEY = Counter(
    {
        f"{ADL}experienced": 2,  # both lessons opened
        f"{ADL}answered": 2,  # the quiz's two questions
        f"{ADL}attempted": 1,  # the exercise submitted
        f"{ADL}scored": 1,  # and graded
        f"{ADL}completed": 1,  # which completes the course
    }
)


@dataclass
class Journey:
    """A course of a quiz lesson and an exercise lesson, and a student enrolled in it."""

    room: object
    quiz_lesson: object
    exercise_lesson: object

    @classmethod
    def make(cls) -> Journey:
        room = classroom()
        quiz_lesson = pages.quiz_lesson(room.course, pages.question(), pages.question())
        exercise_lesson = a_lesson(room.course, room.exercise, completion_rule="exercise")
        return cls(room, quiz_lesson, exercise_lesson)

    @property
    def student(self):
        return self.room.student

    def read_and_answer(self) -> None:
        courses.lesson_visit(student=self.student, lesson=self.quiz_lesson)
        quiz_id, question_ids, choice_ids = pages.ids(self.quiz_lesson)
        courses.quiz_submit(
            student=self.student,
            lesson=self.quiz_lesson,
            quiz_id=quiz_id,
            answers={q: [choices[1]] for q, choices in zip(question_ids, choice_ids, strict=True)},
        )

    def submit(self) -> Submission:
        courses.lesson_visit(student=self.student, lesson=self.exercise_lesson)
        nb = answered(student_version(self.room.exercise), square=RIGHT)
        with transaction.atomic():
            return grading.submission_create(
                exercise=self.room.exercise,
                student=self.student,
                notebook=nbformat.writes(nb),
                origin="upload",
            )


def outbox_ids() -> list[str]:
    return [str(i) for i in StatementOutbox.objects.values_list("statement_id", flat=True)]


def strictly_valid(statements: list[dict]) -> list[str]:
    """Problems Ralph's own xAPI 1.0.3 model (strict: no unknown field) finds, per statement;
    run in Ralph's virtualenv, as the platform's has no Ralph."""
    script = (
        "import json, sys\n"
        "from ralph.models.xapi.base.statements import BaseXapiStatement\n"
        "problems = []\n"
        "for s in json.load(sys.stdin):\n"
        "    for key in ('stored', 'authority'):\n"  # added by the LRS, not ours
        "        s.pop(key, None)\n"
        "    try:\n"
        "        BaseXapiStatement.model_validate(s)\n"
        "    except Exception as exc:\n"
        "        problems.append(f\"{s.get('id')}: {exc}\")\n"
        "print(json.dumps(problems))\n"
    )
    out = subprocess.run(
        [str(ROOT / "var" / "lrs" / "venv" / "bin" / "python"), "-c", script],
        input=json.dumps(statements),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------------------
# The journey, flushed in this process
# ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.sandbox
def test_a_students_journey_arrives_once_each_in_the_form_ralph_validates(to_ralph, settings):
    journey = Journey.make()
    journey.read_and_answer()
    submission = journey.submit()
    graded = grading.submission_grade(submission_id=submission.pk)
    assert graded.status == Submission.Status.GRADED

    report = outbox_flush()

    assert report.kept == 0 and report.sent == sum(JOURNEY.values())
    received = to_ralph.statements()
    assert Counter(s["verb"]["id"] for s in received) == JOURNEY
    assert sorted(s["id"] for s in received) == sorted(outbox_ids())
    assert sorted(to_ralph.stored_ids()) == sorted(outbox_ids())  # stored once each
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {"sent"}

    # The student is an account on the platform: no e-mail, username or name anywhere.
    account = str(LearnerAccount.objects.get(user=journey.student).name)
    for statement in received:
        assert statement["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": settings.XAPI_HOME_PAGE, "name": account},
        }
        assert statement["version"] == "1.0.3"
        assert statement["object"]["id"].startswith(settings.XAPI_HOME_PAGE.rstrip("/") + "/")
    text = json.dumps(received)
    student = journey.student
    for private in (student.email, student.username, student.first_name, student.last_name):
        assert private not in text
    assert "mbox" not in text
    assert strictly_valid(received) == []

    scored = next(s for s in received if s["verb"]["id"] == f"{ADL}scored")
    assert scored["result"]["score"] == {"scaled": 0.5, "raw": 3.0, "min": 0.0, "max": 6.0}
    assert scored["result"]["success"] is True  # every auto-graded point
    answers = [s for s in received if s["verb"]["id"] == f"{ADL}answered"]
    assert all(s["result"]["success"] for s in answers)


# ---------------------------------------------------------------------------------------
# A real worker, and Ralph stopped and started again mid-way
# ---------------------------------------------------------------------------------------


def all_sent_or_flush_again() -> bool:
    if not StatementOutbox.objects.exclude(status="sent").exists():
        return True
    flush_send()  # what beat does every minute
    return False


@pytest.mark.worker
@pytest.mark.sandbox
def test_statements_arrive_once_each_after_the_lrs_was_down_mid_journey(
    to_ralph, celery_worker_process
):
    journey = Journey.make()
    journey.read_and_answer()
    first = wait_for(
        lambda: (
            StatementOutbox.objects.count() == 3
            and not StatementOutbox.objects.exclude(status="sent").exists()
            and outbox_ids()
        ),
        timeout=60,
        message="the worker did not send the first statements",
    )
    assert sorted(to_ralph.stored_ids()) == sorted(first)

    to_ralph.stop()
    submission = journey.submit()
    wait_for(
        lambda: Submission.objects.get(pk=submission.pk).status == "graded",
        timeout=120,
        message="the worker did not grade the submission",
    )
    # Everything recorded while the LRS was down is kept, with the reason.
    waiting = wait_for(
        lambda: (
            list(StatementOutbox.objects.exclude(status="sent"))
            if StatementOutbox.objects.filter(attempts__gte=1).exclude(status="sent").count() == 4
            else None
        ),
        timeout=60,
        message="the worker did not try to send the statements of the exercise",
    )
    assert all("not reachable" in row.last_error for row in waiting)
    assert {row.status for row in waiting} == {"pending"}
    assert len(to_ralph.stored_ids()) == 3

    to_ralph.start()  # same port, same data directory
    # beat's periodic flush, sooner: queue a flush each second until all is sent
    wait_for(
        all_sent_or_flush_again,
        timeout=60,
        interval=1.0,
        message="the statements kept while the LRS was down were not sent",
    )

    received = to_ralph.statements()
    assert Counter(s["verb"]["id"] for s in received) == JOURNEY
    assert sorted(s["id"] for s in received) == sorted(outbox_ids())
    assert sorted(to_ralph.stored_ids()) == sorted(outbox_ids())
    # the ones delivered before the stop were never posted again
    assert set(
        StatementOutbox.objects.filter(statement_id__in=first).values_list("attempts", flat=True)
    ) == {1}


# ---------------------------------------------------------------------------------------
# Bad input: an LRS that refuses, is down, or already has a statement
# ---------------------------------------------------------------------------------------


def visit(student=None):
    lesson = pages.lesson()
    student = student or pages.student_of(lesson.get_parent().specific)
    courses.lesson_visit(student=student, lesson=lesson)
    return student


@pytest.mark.django_db
def test_a_wrong_password_keeps_the_statements_with_the_reason_until_it_is_fixed(
    to_ralph, settings, client, django_capture_on_commit_callbacks
):
    student = visit()
    visit(student)
    settings.XAPI_LRS_PASSWORD = "not-the-password"

    report = outbox_flush()

    assert report.sent == 0 and report.kept == 2
    rows = list(StatementOutbox.objects.all())
    assert {row.status for row in rows} == {"refused"}
    assert all("401" in r.last_error and "Invalid authentication" in r.last_error for r in rows)
    assert all(row.next_attempt_at > timezone.now() for row in rows)  # backing off
    assert to_ralph.statements() == []

    # The platform team sees it in the admin, and retries once the password is fixed.
    staff = staff_user(is_superuser=True)
    client.login(username=staff.username, password=PASSWORD)
    page = client.get("/django-admin/xapi/statementoutbox/?status__exact=refused")
    assert page.status_code == 200
    assert "Invalid authentication credentials" in page.content.decode()
    assert page.content.decode().count("experienced") >= 2
    settings.XAPI_LRS_PASSWORD = to_ralph_password()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/django-admin/xapi/statementoutbox/",
            {"action": "retry_now", "_selected_action": [row.pk for row in rows]},
        )
    assert response.status_code == 302
    assert outbox_flush().sent == 2
    assert sorted(s["id"] for s in to_ralph.statements()) == sorted(outbox_ids())
    assert set(StatementOutbox.objects.values_list("status", flat=True)) == {"sent"}


def to_ralph_password() -> str:
    from tests.xapi.conftest import PASSWORD as LRS_PASSWORD

    return LRS_PASSWORD


@pytest.mark.django_db
def test_a_statement_the_lrs_refuses_is_kept_and_the_others_of_its_batch_go(to_ralph):
    from xapi.services import statements_record

    student = visit()
    visit(student)
    good = [row.statement for row in StatementOutbox.objects.order_by("pk")]
    StatementOutbox.objects.all().delete()
    broken = {**good[0], "id": "8a1e9f0e-6a3c-4c8e-9d1d-0b5f7c2a4e11"}
    del broken["actor"]  # no actor: not an xAPI statement
    statements_record([good[0], broken, good[1]])

    report = outbox_flush()

    assert report.sent == 2 and report.kept == 1
    refused = StatementOutbox.objects.get(statement_id=broken["id"])
    assert refused.status == "refused" and "actor" in refused.last_error
    assert "422" in refused.last_error
    assert sorted(s["id"] for s in to_ralph.statements()) == sorted(s["id"] for s in good)
    # retried later (a fixed LRS might take it), and kept again with the same reason
    later = timezone.now() + timedelta(hours=2)
    assert outbox_flush(now=later).kept == 1
    refused.refresh_from_db()
    assert refused.attempts == 2 and "actor" in refused.last_error


@pytest.mark.django_db
def test_an_lrs_that_is_down_keeps_everything_and_backs_off(settings):
    settings.XAPI_LRS_ENDPOINT = f"http://127.0.0.1:{free_port()}/xAPI/"  # nobody listens
    settings.XAPI_RETRY_BASE_SECONDS = 30
    visit()

    assert outbox_flush().kept == 1
    row = StatementOutbox.objects.get()
    assert row.status == "pending" and "not reachable" in row.last_error
    first_delay = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < first_delay <= timedelta(seconds=30)
    assert outbox_flush().kept == 0  # not due yet: not tried again at once

    assert outbox_flush(now=row.next_attempt_at).kept == 1
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at - timezone.now() > timedelta(seconds=50)  # twice as long


@pytest.mark.django_db
def test_a_statement_sent_again_after_a_lost_answer_is_stored_once(to_ralph):
    visit()
    assert outbox_flush().sent == 1
    # as if the LRS's answer had been lost: the row was never marked sent
    StatementOutbox.objects.update(status="pending", sent_at=None)

    assert outbox_flush().sent == 1
    assert to_ralph.stored_ids() == outbox_ids()
    assert StatementOutbox.objects.get().status == "sent"


@pytest.mark.django_db
def test_without_an_lrs_the_statements_wait_in_the_outbox(settings):
    settings.XAPI_LRS_ENDPOINT = ""
    visit()
    assert outbox_flush().sent == 0
    row = StatementOutbox.objects.get()
    assert row.status == "pending" and row.attempts == 0


@pytest.mark.django_db
def test_a_statement_is_stored_only_with_what_it_records():
    lesson = pages.lesson()
    student = pages.student_of(lesson.get_parent().specific)
    with pytest.raises(RuntimeError), transaction.atomic():
        courses.lesson_visit(student=student, lesson=lesson)
        raise RuntimeError("the request failed after the visit was recorded")
    assert not StatementOutbox.objects.exists()
