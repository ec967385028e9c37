"""Writes of the learning records: statements into the outbox, and the outbox to the LRS.

Courses and grading call one function per event (`lesson_viewed`, `quiz_answered`,
`exercise_submitted`, `exercise_graded`, `course_completed`) inside the transaction that
stores what the statement records: the statement commits or rolls back with it. After
commit the flush task is queued by name (never imported: tasks import services); beat runs
it every minute too, so nothing waits for ever once an LRS that was down is back.

`outbox_flush` sends due statements in batches. Nothing is lost: a statement leaves the
outbox's pending state only when the LRS answered 2xx (or said it has that id already).
Nothing is stored twice: each statement's id is fixed when it is recorded, and an LRS keeps
one statement per id (Ralph answers 204 to a statement it already has, 409 to a different
one with the same id; both mean "the LRS has this id", so the row counts as sent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import lrs
from . import statements as build
from .models import LearnerAccount, StatementOutbox
from .statements import ActivityType, Verb

log = logging.getLogger("xapi")

FLUSH_TASK = "xapi.tasks.outbox_flush_task"
PLATFORM = "National Digital Skills Platform"


# ---------------------------------------------------------------------------------------
# Recording (in the caller's transaction)
# ---------------------------------------------------------------------------------------


def statements_record(statements: list[dict]) -> list[StatementOutbox]:
    """Store complete statements in the outbox; the flush task is queued on commit."""
    now = timezone.now()
    rows = StatementOutbox.objects.bulk_create(
        StatementOutbox(
            statement_id=s["id"],
            verb=s["verb"]["id"],
            statement=s,
            created_at=now,
            next_attempt_at=now,
        )
        for s in statements
    )
    if rows and settings.XAPI_LRS_ENDPOINT:
        transaction.on_commit(flush_send)
    return rows


def flush_send() -> bool:
    """Ask a worker to flush the outbox now. A broker that is down loses nothing: the rows
    wait in the outbox and beat's periodic flush sends them."""
    app = current_app
    try:
        if app.conf.task_always_eager:
            app.loader.import_default_modules()  # send_task never runs a task in place
            app.tasks[FLUSH_TASK].apply_async()
        else:
            app.send_task(FLUSH_TASK)
    except Exception:  # kombu's OperationalError, a refused socket, an LRS error when eager
        log.exception("the xAPI flush was not queued; beat's periodic flush will send them")
        return False
    return True


def account_name(user) -> str:
    """The student's stable, opaque name in the LRS (made on their first statement)."""
    key = f"xapi:account:{user.pk}"
    name = cache.get(key)
    if name is None:  # a name never changes: cached once its row was there before
        account, created = LearnerAccount.objects.get_or_create(user_id=user.pk)
        name = str(account.name)
        if not created:  # (a row made now may yet be rolled back with its transaction)
            cache.set(key, name, 24 * 3600)
    return name


def _actor(user) -> dict:
    return build.actor(home_page=settings.XAPI_HOME_PAGE, account_name=account_name(user))


def _language(page) -> str:
    """A page's language: a page's locale, or a reference's `language_code`."""
    code = getattr(page, "language_code", "")
    if not code:
        code = getattr(getattr(page, "locale", None), "language_code", "")
    return code or settings.LANGUAGE_CODE


def _page_activity(kind: str, page, activity_type: str) -> dict:
    return build.activity(
        id=build.activity_id(settings.XAPI_HOME_PAGE, kind, page.pk),
        type=activity_type,
        name=page.title,
        language=_language(page),
    )


def _course(course) -> dict:
    return _page_activity("course", course, ActivityType.COURSE)


def _lesson(lesson) -> dict:
    return _page_activity("lesson", lesson, ActivityType.LESSON)


def _exercise(exercise) -> dict:
    return build.activity(
        id=build.activity_id(settings.XAPI_HOME_PAGE, "exercise", exercise.pk),
        type=ActivityType.ASSESSMENT,
        name=exercise.title,
        language=settings.LANGUAGE_CODE,
    )


def _context(language: str, *, parents=(), groups=(), extensions: dict | None = None) -> dict:
    data = build.context(platform=PLATFORM, language=language, parents=parents, groups=groups)
    if extensions:
        data["extensions"] = {
            build.extension_id(settings.XAPI_HOME_PAGE, k): v for k, v in extensions.items()
        }
    return data


def lesson_viewed(*, student, lesson, course, at) -> list[StatementOutbox]:
    """`student` experienced `lesson` (the original page of the course `course`)."""
    return lessons_viewed([(student, lesson, course, at)])


def lessons_viewed(views) -> list[StatementOutbox]:
    """`lesson_viewed` for many views at once, (student, lesson, course, at) each: one
    statement a view, stored in one write."""
    return statements_record(
        [
            build.statement(
                actor=_actor(student),
                verb=Verb.EXPERIENCED,
                object=_lesson(lesson),
                timestamp=at,
                context=_context(_language(lesson), parents=[_course(course)]),
            )
            for student, lesson, course, at in views
        ]
    )


def quiz_answered(
    *, student, lesson, course, answers: list[tuple[Any, list, bool]], at
) -> list[StatementOutbox]:
    """One statement per question answered: (question, stored answer, right or not);
    a question has `id` and `prompt`, its quiz the id `quiz_id`."""
    actor = _actor(student)
    language = _language(lesson)
    parent = _lesson(lesson)
    return statements_record(
        [
            build.statement(
                actor=actor,
                verb=Verb.ANSWERED,
                object=build.activity(
                    id=build.activity_id(
                        settings.XAPI_HOME_PAGE,
                        "lesson",
                        lesson.pk,
                        "quiz",
                        question.quiz_id,
                        "question",
                        question.id,
                    ),
                    type=ActivityType.QUESTION,
                    name=question.prompt,
                    language=language,
                ),
                timestamp=at,
                result={
                    "success": bool(correct),
                    "response": "[,]".join(str(value) for value in answer)[:1000],
                },
                context=_context(language, parents=[parent], groups=[_course(course)]),
            )
            for question, answer, correct in answers
        ]
    )


def exercise_submitted(*, submission) -> list[StatementOutbox]:
    """The student attempted an exercise (a stored Submission: its exercise, attempt...)."""
    return statements_record(
        [
            build.statement(
                actor=_actor(submission.student),
                verb=Verb.ATTEMPTED,
                object=_exercise(submission.exercise),
                timestamp=submission.submitted_at,
                context=_exercise_context(submission),
            )
        ]
    )


def exercise_graded(*, submission, passed: bool, at=None) -> list[StatementOutbox]:
    """A submission was graded (by the grader, or a teacher scored a cell by hand at `at`):
    its total of its maximum, and whether it passed."""
    return statements_record(
        [
            build.statement(
                actor=_actor(submission.student),
                verb=Verb.SCORED,
                object=_exercise(submission.exercise),
                timestamp=at or submission.graded_at or timezone.now(),
                result={
                    "score": build.score(raw=submission.total, maximum=submission.max_total),
                    "success": bool(passed),
                    "completion": not submission.needs_manual,  # a teacher's part still to come
                },
                context=_exercise_context(submission),
            )
        ]
    )


def _exercise_context(submission) -> dict:
    course = getattr(submission.exercise, "course", None)
    return _context(
        settings.LANGUAGE_CODE,
        parents=[_course(course)] if course is not None else [],
        extensions={"attempt": submission.attempt, "submission": str(submission.uid)},
    )


def course_completed(*, student, course, at) -> list[StatementOutbox]:
    """`student` completed every lesson of `course`."""
    return statements_record(
        [
            build.statement(
                actor=_actor(student),
                verb=Verb.COMPLETED,
                object=_course(course),
                timestamp=at,
                result={"completion": True},
                context=_context(_language(course)),
            )
        ]
    )


# ---------------------------------------------------------------------------------------
# Sending (run by outbox_flush_task)
# ---------------------------------------------------------------------------------------


@dataclass
class FlushReport:
    """What one flush did: statements the LRS took, and the ones kept for later."""

    sent: int = 0
    kept: int = 0
    reasons: list[str] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: BASE * 2^(attempts - 1) seconds, at most MAX."""
    base = settings.XAPI_RETRY_BASE_SECONDS
    exponent = min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(base * 2**exponent, settings.XAPI_RETRY_MAX_SECONDS))


def outbox_flush(*, now=None) -> FlushReport:
    """Send the due statements, a batch per request, until none is due, a batch failed for
    the LRS (down, or our credentials refused), or XAPI_FLUSH_MAX_BATCHES were sent.

    Idempotent: run twice (two workers, a redelivered task), the second finds nothing due,
    or (PostgreSQL) skips the rows the first has locked; a statement sent twice anyway is
    one the LRS already has, and it keeps one."""
    report = FlushReport()
    if not settings.XAPI_LRS_ENDPOINT:
        return report
    tried: set[int] = set()  # each statement once per run, even if still due after it
    for _batch in range(settings.XAPI_FLUSH_MAX_BATCHES):
        with transaction.atomic():
            rows = list(
                StatementOutbox.objects.due(now)
                .exclude(pk__in=tried)
                .select_for_update(skip_locked=True)
                .order_by("next_attempt_at", "created_at", "pk")[: settings.XAPI_BATCH_SIZE]
            )
            if not rows:
                break
            tried.update(row.pk for row in rows)
            go_on = _send(rows, report)
        if not go_on:
            break
    return report


def _send(rows: list[StatementOutbox], report: FlushReport) -> bool:
    """Post the batch; on an error answer, find the statements at fault one by one. Whether
    the LRS is fit for the next batch."""
    answer = lrs.statements_post([row.statement for row in rows])
    if answer.ok:
        _mark_sent(rows, report)
        return True
    if answer.unreachable or _about_us(answer) or len(rows) == 1:
        _settle(rows, answer, report)
        return not (answer.unreachable or _about_us(answer))
    for index, row in enumerate(rows):
        one = lrs.statements_post([row.statement])
        if one.unreachable or _about_us(one):  # it went away, or refuses us: all wait
            _settle(rows[index:], one, report)
            return False
        _settle([row], one, report)
    return True


def _about_us(answer: lrs.LrsAnswer) -> bool:
    """401/403: the platform's credentials, not a statement, are at fault."""
    return answer.status in (401, 403)


def _settle(rows: list[StatementOutbox], answer: lrs.LrsAnswer, report: FlushReport) -> None:
    if answer.ok:
        _mark_sent(rows, report)
    elif answer.status == 409:  # the LRS has a statement with this id: it is delivered
        _mark_sent(rows, report, note=answer.reason)
    else:
        _keep(rows, answer, report)


def _mark_sent(rows: list[StatementOutbox], report: FlushReport, note: str = "") -> None:
    now = timezone.now()
    for row in rows:
        row.status = StatementOutbox.Status.SENT
        row.attempts += 1
        row.sent_at = now
        row.last_error = note
    StatementOutbox.objects.bulk_update(rows, ["status", "attempts", "sent_at", "last_error"])
    report.sent += len(rows)


def _keep(rows: list[StatementOutbox], answer: lrs.LrsAnswer, report: FlushReport) -> None:
    """Keep the rows with the LRS's reason, to be tried again after a growing delay: a 4xx
    may go once the LRS (or our settings) is fixed, so refused rows are retried too."""
    now = timezone.now()
    status = (
        StatementOutbox.Status.REFUSED
        if 400 <= answer.status < 500
        else StatementOutbox.Status.PENDING
    )
    reason = answer.reason or f"HTTP {answer.status}"
    for row in rows:
        row.status = status
        row.attempts += 1
        row.last_error = reason
        row.next_attempt_at = now + retry_delay(row.attempts)
    StatementOutbox.objects.bulk_update(
        rows, ["status", "attempts", "last_error", "next_attempt_at"]
    )
    report.kept += len(rows)
    report.reasons.append(reason)
    log.warning("%d xAPI statement(s) kept in the outbox: %s", len(rows), reason)


def outbox_retry_now(*, ids: list[int]) -> int:
    """Make unsent statements due at once (the admin's "retry now"); queue a flush."""
    count = (
        StatementOutbox.objects.filter(pk__in=ids)
        .exclude(status=StatementOutbox.Status.SENT)
        .update(next_attempt_at=timezone.now())
    )
    if count and settings.XAPI_LRS_ENDPOINT:
        transaction.on_commit(flush_send)
    return count
