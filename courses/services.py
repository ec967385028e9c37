"""Writes of the courses app: assigning courses to cohorts, enrolling students, recording
what students do in lessons (visits, quiz answers, graded exercises) and the progress and
competence evidence that follows from it.

Attempts are rows that are only ever added (`QuizAttempt`); summaries are recomputed
from them (`LessonProgress`, `CourseProgress`) and evidence is replaced by its source
key (`CompetenceEvidence`), so running any of these twice never counts anything twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cms.translation import canonical_page
from curricula.models import Competence
from evidence.models import EvidenceSource
from evidence.services import EvidenceItem, EvidenceScope, evidence_replace
from lms.cache import buffer_push, buffer_take
from people import panels
from people.models import Cohort, Membership, Role, User
from xapi import services as xapi

from . import page_selectors, selectors
from .models import (
    CompletionRule,
    CourseAssignment,
    CoursePage,
    CourseProgress,
    Enrolment,
    ExerciseOutcome,
    LessonPage,
    LessonProgress,
    QuizAttempt,
)
from .page_selectors import LessonRefs
from .questionbank import QuestionBank
from .quiz import (
    DEFAULT_MAX_ATTEMPTS,
    EXPLAIN_AFTER_RIGHT,
    AnswerError,
    Quiz,
    exercise_ids_in,
    is_correct,
    parse_answer,
    quizzes_in,
)
from .signals import course_completed

log = logging.getLogger(__name__)


class EnrolmentRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def course_assign(
    *, course: CoursePage, cohort: Cohort, assigned_by: User | None, starts_at=None, due_at=None
) -> CourseAssignment:
    """Assign a course to a cohort and enrol its students; assigning again updates dates."""
    if starts_at and due_at and due_at < starts_at:
        raise ValueError(_("The due date must be after the start date."))
    course = canonical_page(course)  # a translation of a course is the same course
    assignment, _created = CourseAssignment.objects.update_or_create(
        course=course,
        cohort=cohort,
        defaults={"starts_at": starts_at, "due_at": due_at, "assigned_by": assigned_by},
    )
    student_ids = Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values_list(
        "user_id", flat=True
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                course=course,
                student_id=student_id,
                source=Enrolment.Source.ASSIGNED,
                assignment=assignment,
            )
            for student_id in student_ids
        ],
        ignore_conflicts=True,  # already enrolled (another cohort or self-enrolment)
    )
    # the dashboards showing the course with this assignment's dates (students who left
    # the cohort since included; one enrolled through another cohort shows that one's)
    panels.student_changed(
        *Enrolment.objects.filter(assignment=assignment).values_list("student_id", flat=True)
    )
    return assignment


def enrol_new_cohort_member(*, membership: Membership) -> int:
    """A student who joins a cohort later gets its assigned courses; returns how many."""
    if membership.role != Role.STUDENT or membership.cohort_id is None:
        return 0
    assignments = list(CourseAssignment.objects.filter(cohort_id=membership.cohort_id))
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                course_id=a.course_id,
                student_id=membership.user_id,
                source=Enrolment.Source.ASSIGNED,
                assignment=a,
            )
            for a in assignments
        ],
        ignore_conflicts=True,
    )
    panels.student_changed(membership.user_id)
    return len(assignments)


def course_self_enrol(*, course: CoursePage, student: User) -> Enrolment:
    course = canonical_page(course)
    if not course.is_open:
        raise EnrolmentRefused(
            _("This course is not open for self-enrolment; your teacher assigns it.")
        )
    if not course.live:
        raise EnrolmentRefused(_("This course is not published."))
    enrolment, created = Enrolment.objects.get_or_create(
        course=course, student=student, defaults={"source": Enrolment.Source.SELF}
    )
    if created:
        panels.student_changed(student.pk)
    return enrolment


# ---------------------------------------------------------------------------------------
# Lessons: visits, reading, quizzes
# ---------------------------------------------------------------------------------------


class QuizRefused(Exception):
    """An answer the platform does not record, with the reason to show the student."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuizUnchanged(QuizRefused):
    """A check of the lesson's form in which every answer is the one last checked: the
    page showed them filled in again. Nothing to check, no attempt used."""


@dataclass(frozen=True)
class AnswerFeedback:
    question_id: str
    is_correct: bool
    explanation: str  # "" until the quiz allows it (Quiz.may_explain)
    attempts_left: int | None  # None: no limit


@dataclass(frozen=True)
class QuizOutcome:
    feedback: tuple[AnswerFeedback, ...]
    progress: LessonProgress

    @property
    def correct(self) -> int:
        return sum(f.is_correct for f in self.feedback)


def is_enrolled(*, student: User, course: CoursePage) -> bool:
    return Enrolment.objects.filter(student=student, course=canonical_page(course)).exists()


def _originals(lesson: LessonPage) -> tuple[LessonPage, CoursePage]:
    original = canonical_page(lesson)
    return original, original.get_parent().specific


def _refresh_lesson(
    *, student: User, lesson: LessonPage, course: CoursePage, served: LessonPage, now
) -> LessonProgress:
    """Recompute a lesson's summary from the attempts and exercise outcomes; `served` is
    the page (maybe a translation) whose quizzes and exercises the student saw."""
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        student=student, lesson=lesson, defaults={"course": course}
    )
    body = served.body.raw_data
    quizzes = quizzes_in(body)
    if quizzes:
        latest: dict[str, bool] = {}
        last_at = None
        for question_id, correct, answered_at in (
            QuizAttempt.objects.filter(student=student, lesson=lesson)
            .order_by("answered_at", "pk")
            .values_list("question_id", "is_correct", "answered_at")
        ):
            latest[question_id] = correct
            last_at = answered_at
        if latest:
            total = sum(len(q.questions) for q in quizzes)
            right = sum(latest.get(question.id, False) for q in quizzes for question in q.questions)
            progress.quiz_score = right / total if total else None
            progress.quiz_passed = all(
                sum(latest.get(question.id, False) for question in q.questions) * 100
                >= q.pass_percent * len(q.questions)
                for q in quizzes
            )
            progress.quiz_answered_at = last_at
    exercise_ids = set(exercise_ids_in(body))
    if exercise_ids:
        passed = ExerciseOutcome.objects.filter(
            student=student, exercise_id__in=exercise_ids, passed=True
        ).count()
        progress.exercise_passed = passed == len(exercise_ids)
    rule = served.completion_rule
    if progress.completed_at is None and (
        (rule == CompletionRule.QUIZ and progress.quiz_passed)
        or (rule == CompletionRule.EXERCISE and progress.exercise_passed)
    ):
        progress.completed_at = now
    progress.save()
    _refresh_course(student=student, course=course, now=now)
    return progress


def _live_lesson_ids(course: CoursePage) -> list[int]:
    return list(LessonPage.objects.child_of(course).live().values_list("pk", flat=True))


def _refresh_course(*, student: User, course: CoursePage, now) -> CourseProgress:
    live = _live_lesson_ids(course)
    done = LessonProgress.objects.filter(
        student=student, lesson_id__in=live, completed_at__isnull=False
    ).count()
    progress, _created = CourseProgress.objects.select_for_update().get_or_create(
        student=student, course=course
    )
    _set_counts(progress, total=len(live), done=done, now=now)
    progress.last_activity_at = now
    progress.save()
    panels.student_changed(student.pk)  # their dashboard's progress and results
    selectors.cohort_progress_changed(student_ids=[student.pk])  # their teachers' pages
    return progress


def _set_counts(progress: CourseProgress, *, total: int, done: int, now) -> None:
    progress.lessons_total = total
    progress.lessons_completed = min(done, total)
    # rounded down: 100 % only when every lesson is completed
    progress.percent = progress.lessons_completed * 100 // total if total else 0
    if total and progress.lessons_completed == total and progress.completed_at is None:
        progress.completed_at = now
        _announce_completion(progress)


def _announce_completion(progress: CourseProgress) -> None:
    """Once the completing transaction commits, the apps above courses hear of it
    (credentials issues the course's badge). Its xAPI statement is written now, with it."""
    xapi.course_completed(
        student=progress.student, course=progress.course, at=progress.completed_at
    )
    student_id, course_id, completed_at = (
        progress.student_id,
        progress.course_id,
        progress.completed_at,
    )
    transaction.on_commit(
        lambda: course_completed.send(
            sender=CourseProgress,
            student_id=student_id,
            course_id=course_id,
            completed_at=completed_at,
        )
    )


@transaction.atomic
def lesson_visit(*, student: User, lesson: LessonPage, refs: LessonRefs | None = None) -> None:
    """A student opened a lesson of a course they are enrolled in: one UPDATE of the
    lesson's and one of the course's progress, and the xAPI statement (the rows are made
    on the first visit). `refs`: the lesson's originals when the caller knows them."""
    now = timezone.now()
    refs = refs or page_selectors.lesson_refs(lesson)
    lesson_id, course_id = refs.lesson.pk, refs.course.pk
    visited = LessonProgress.objects.filter(student=student, lesson_id=lesson_id).update(
        visits=F("visits") + 1,
        first_visited_at=Coalesce("first_visited_at", Value(now)),
        last_visited_at=now,
    )
    if not visited:
        progress, _created = LessonProgress.objects.select_for_update().get_or_create(
            student=student, lesson_id=lesson_id, defaults={"course_id": course_id}
        )
        progress.visits += 1
        progress.first_visited_at = progress.first_visited_at or now
        progress.last_visited_at = now
        progress.save()
    xapi.lesson_viewed(student=student, lesson=refs.lesson, course=refs.course, at=now)
    active = CourseProgress.objects.filter(student=student, course_id=course_id).update(
        last_activity_at=now
    )
    if not active:
        summary, created = CourseProgress.objects.get_or_create(
            student=student, course_id=course_id
        )
        if created:  # first activity in the course: count its lessons once
            course = CoursePage.objects.get(pk=course_id)
            _set_counts(summary, total=len(_live_lesson_ids(course)), done=0, now=now)
        summary.last_activity_at = now
        summary.save()
    panels.student_active(student.pk)  # "last activity" on their dashboard
    selectors.cohort_progress_changed(student_ids=[student.pk])  # and their teachers' pages


# Lesson visits in bulk. A class opening a lesson at 9:00 is thousands of views a minute;
# with Redis as the shared cache each view is one append to a list there
# (`lesson_visit_soon`), and beat's `lesson_visits_flush` writes what piled up every few
# seconds: one transaction for a few thousand views, the same rows and xAPI statements (with
# each view's own time) as `lesson_visit` writes one by one. Without Redis, or with Redis
# down, a view is written at once. Views still in Redis when it is lost or flushed (a
# restart of a Redis that keeps nothing, the cache emptied after a migration) are lost:
# some seconds of visit counts, never progress, answers or results.
VISITS_BUFFER = "courses:lesson-visits"
VISITS_PER_FLUSH = 5000


def lesson_visit_soon(*, student: User, lesson: LessonPage, refs: LessonRefs | None = None) -> None:
    """`lesson_visit`, written within seconds with others when the shared cache can hold it,
    at once otherwise."""
    refs = refs or page_selectors.lesson_refs(lesson)
    item = json.dumps([student.pk, refs.lesson.pk, refs.course.pk, timezone.now().timestamp()])
    if not buffer_push(VISITS_BUFFER, item):
        lesson_visit(student=student, lesson=lesson, refs=refs)


@dataclass(frozen=True)
class VisitsFlushed:
    views: int  # lesson views written
    students: int
    skipped: int  # entries that were not views (logged)


def lesson_visits_flush(*, limit: int = VISITS_PER_FLUSH, rounds: int = 20) -> VisitsFlushed:
    """Write the buffered views: up to `limit` per transaction, until the buffer is empty
    (at most `rounds` times, so one run never holds a worker for long)."""
    views = students = skipped = 0
    for _round in range(rounds):
        items = buffer_take(VISITS_BUFFER, limit)
        if not items:
            break
        try:
            done = _visits_write(items)
        except Exception:
            # the database refused (down, a deadlock): the views go back for the next run
            for item in items:
                buffer_push(VISITS_BUFFER, item)
            raise
        views, students, skipped = (
            views + done.views,
            students + done.students,
            skipped + done.skipped,
        )
        if len(items) < limit:
            break
    return VisitsFlushed(views, students, skipped)


def _visits_parse(items: list[str]) -> tuple[list[tuple[int, int, int, datetime]], int]:
    views, skipped = [], 0
    for item in items:
        try:
            student_id, lesson_id, course_id, at = json.loads(item)
            views.append((int(student_id), int(lesson_id), int(course_id), _from_epoch(at)))
        except (TypeError, ValueError, OverflowError):
            skipped += 1
            log.warning("lesson visits: an entry that is not a view was dropped: %.200r", item)
    return views, skipped


def _from_epoch(at) -> datetime:
    return datetime.fromtimestamp(float(at), tz=UTC)


@transaction.atomic
def _visits_write(items: list[str]) -> VisitsFlushed:
    views, skipped = _visits_parse(items)
    # what a row of each (student, lesson) gains: views, first and last time, its course
    pairs: dict[tuple[int, int], list] = {}
    for student_id, lesson_id, course_id, at in views:
        pair = pairs.setdefault((student_id, lesson_id), [course_id, 0, at, at])
        pair[1] += 1
        pair[2], pair[3] = min(pair[2], at), max(pair[3], at)
    # a student or lesson deleted since the view: nothing to write for it
    students = User.objects.in_bulk({s for s, _l in pairs})
    lessons = LessonPage.objects.in_bulk({lesson for _s, lesson in pairs})
    courses = CoursePage.objects.in_bulk({p[0] for p in pairs.values()})
    pairs = {
        (s, lesson): p
        for (s, lesson), p in pairs.items()
        if s in students and lesson in lessons and p[0] in courses
    }
    if not pairs:
        return VisitsFlushed(0, 0, skipped + len(views))
    rows = {
        (row.student_id, row.lesson_id): row
        for row in LessonProgress.objects.select_for_update()
        .filter(
            student_id__in={s for s, _l in pairs}, lesson_id__in={lesson for _s, lesson in pairs}
        )
        .order_by("pk")
    }
    changed, new = [], []
    for (student_id, lesson_id), (course_id, count, first, last) in pairs.items():
        row = rows.get((student_id, lesson_id))
        if row is None:
            new.append(
                LessonProgress(
                    student_id=student_id,
                    lesson_id=lesson_id,
                    course_id=course_id,
                    visits=count,
                    first_visited_at=first,
                    last_visited_at=last,
                )
            )
            continue
        row.visits += count
        row.first_visited_at = min(row.first_visited_at or first, first)
        row.last_visited_at = max(row.last_visited_at or last, last)
        changed.append(row)
    LessonProgress.objects.bulk_update(changed, ["visits", "first_visited_at", "last_visited_at"])
    # a row made since the read above by an answer (in its own transaction, with no visit
    # counted): it takes these views
    LessonProgress.objects.bulk_create(
        new,
        update_conflicts=True,
        unique_fields=["student", "lesson"],
        update_fields=["visits", "first_visited_at", "last_visited_at"],
    )
    # the course's last activity: the latest view of each student in each course
    latest: dict[tuple[int, int], datetime] = {}
    for (student_id, _lesson_id), (course_id, _count, _first, last) in pairs.items():
        key = (student_id, course_id)
        latest[key] = max(latest.get(key, last), last)
    summaries = {
        (row.student_id, row.course_id): row
        for row in CourseProgress.objects.select_for_update()
        .filter(student_id__in={s for s, _c in latest}, course_id__in={c for _s, c in latest})
        .order_by("pk")
    }
    active = []
    for (student_id, course_id), last in latest.items():
        summary = summaries.get((student_id, course_id))
        if summary is None:  # first activity in the course: as lesson_visit makes it
            summary, created = CourseProgress.objects.get_or_create(
                student_id=student_id, course_id=course_id
            )
            if created:
                total = len(_live_lesson_ids(courses[course_id]))
                _set_counts(summary, total=total, done=0, now=last)
                summary.last_activity_at = last
                summary.save()
                continue
        if summary.last_activity_at is None or summary.last_activity_at < last:
            summary.last_activity_at = last
            active.append(summary)
    CourseProgress.objects.bulk_update(active, ["last_activity_at"])
    refs = {lesson: page_selectors.lesson_refs(lessons[lesson]) for _s, lesson in pairs}
    xapi.lessons_viewed(
        (students[s], refs[lesson].lesson, refs[lesson].course, at)
        for s, lesson, _course_id, at in views
        if (s, lesson) in pairs
    )
    visitors = {s for s, _l in pairs}
    panels.student_active(*visitors)  # "last activity" on their dashboards
    selectors.cohort_progress_changed(student_ids=visitors)  # and their teachers' pages
    written = sum(p[1] for p in pairs.values())
    return VisitsFlushed(written, len({s for s, _l in pairs}), skipped + len(views) - written)


@transaction.atomic
def lesson_mark_read(*, student: User, lesson: LessonPage) -> LessonProgress:
    """Complete a lesson whose rule is reading it."""
    if lesson.completion_rule != CompletionRule.READ:
        raise QuizRefused(
            _("This lesson is completed by passing its quiz or exercise, not by reading it.")
        )
    original, course = _originals(lesson)
    if not is_enrolled(student=student, course=course):
        raise QuizRefused(_("You are not enrolled in this course."))
    now = timezone.now()
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        student=student, lesson=original, defaults={"course": course}
    )
    progress.first_visited_at = progress.first_visited_at or now
    progress.last_visited_at = progress.last_visited_at or now
    progress.completed_at = progress.completed_at or now
    progress.save()
    _refresh_course(student=student, course=course, now=now)
    return progress


def _find_quiz(lesson: LessonPage, quiz_id: str) -> Quiz:
    quiz = next((q for q in quizzes_in(lesson.body.raw_data) if q.id == quiz_id), None)
    if quiz is None:
        raise QuizRefused(_("This quiz is not part of the lesson (any more); reload the page."))
    return quiz


@transaction.atomic
def quiz_submit(
    *,
    student: User,
    lesson: LessonPage,
    quiz_id: str,
    answers: dict[str, list[str]],
    changed_only: bool = False,
) -> QuizOutcome:
    """Check a student's answers to (some of) a quiz's questions on the server and record
    them: one attempt per answer, evidence per question (replacing the previous answer's),
    then the lesson's and the course's progress.

    `changed_only` (the lesson page's form, which shows the last answers filled in): an
    answer equal to the question's last checked one is the page's, not a new check, and
    uses no attempt; `QuizUnchanged` when every answer is such."""
    if not lesson.live:
        raise QuizRefused(_("This lesson is not published."))
    original, course = _originals(lesson)
    if not is_enrolled(student=student, course=course):
        raise QuizRefused(
            _("You are not enrolled in this course, so your answers are not recorded.")
        )
    quiz = _find_quiz(lesson, quiz_id)
    checked = []
    for question_id, values in answers.items():
        question = quiz.question(question_id)
        if question is None:
            raise QuizRefused(
                _("Question “%(id)s” does not exist in this quiz; reload the page.")
                % {"id": str(question_id)[:64]}
            )
        try:
            answer = parse_answer(question, values)
        except AnswerError as exc:
            raise QuizRefused(
                _("Question %(number)d: %(problem)s")
                % {"number": question.number, "problem": exc.message}
            ) from exc
        if answer:
            checked.append((question, answer, is_correct(question, answer)))
    if not checked:
        raise QuizRefused(_("Answer at least one question before checking."))
    # One check at a time per student and lesson (the row lock), so that two at once
    # cannot both take the last attempt.
    LessonProgress.objects.select_for_update().get_or_create(
        student=student, lesson=original, defaults={"course": course}
    )
    history = _attempts_so_far(student=student, lesson=original, quiz=quiz)
    if changed_only:
        last = _last_answers(student=student, lesson=original, quiz=quiz)
        checked = [c for c in checked if last.get(c[0].id) != c[1]]
        if not checked:
            raise QuizUnchanged(
                _(
                    "You changed no answer since your last check, so nothing was checked "
                    "and no attempt was used."
                )
            )
    for question, _answer, _correct in checked:
        if quiz.attempts_left(history[question.id][0]) == 0:
            raise QuizRefused(
                ngettext(
                    "Question %(number)d: you have used your %(max)d attempt.",
                    "Question %(number)d: you have used all %(max)d attempts.",
                    quiz.max_attempts,
                )
                % {"number": question.number, "max": quiz.max_attempts}
            )

    now = timezone.now()
    known_competences = set(
        Competence.objects.filter(
            pk__in={q.competence_id for q, _a, _c in checked if q.competence_id}
        ).values_list("pk", flat=True)
    )
    QuizAttempt.objects.bulk_create(
        QuizAttempt(
            student=student,
            lesson=original,
            quiz_id=quiz.id,
            question_id=question.id,
            answer=answer,
            is_correct=correct,
            competence_id=question.competence_id
            if question.competence_id in known_competences
            else None,
            level=question.level,
            answered_at=now,
        )
        for question, answer, correct in checked
    )
    xapi.quiz_answered(student=student, lesson=original, course=course, answers=checked, at=now)
    keys = {question.id: f"quiz:{original.pk}:{question.id}" for question, _a, _c in checked}
    evidence_replace(
        student_id=student.pk,
        scope=EvidenceScope.of_keys(EvidenceSource.QUIZ, keys.values()),
        items=[
            EvidenceItem(
                source_key=keys[question.id],
                competence_id=question.competence_id,
                level=question.level,
                score=1.0 if correct else 0.0,
            )
            for question, _answer, correct in checked
            if question.competence_id in known_competences
        ],
        recorded_at=now,
    )
    progress = _refresh_lesson(
        student=student, lesson=original, course=course, served=lesson, now=now
    )
    feedback = []
    for question, _answer, correct in checked:
        used, right_before = history[question.id]
        used += 1
        feedback.append(
            AnswerFeedback(
                question.id,
                correct,
                question.explanation
                if quiz.may_explain(used=used, answered_right=right_before or correct)
                else "",
                quiz.attempts_left(used),
            )
        )
    return QuizOutcome(feedback=tuple(feedback), progress=progress)


def _attempts_so_far(
    *, student: User, lesson: LessonPage, quiz: Quiz
) -> dict[str, tuple[int, bool]]:
    """(checks so far, answered right at least once) per question of the quiz."""
    rows = (
        QuizAttempt.objects.filter(
            student=student, lesson=lesson, question_id__in=[q.id for q in quiz.questions]
        )
        .values("question_id")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(is_correct=True)))
    )
    history = {q.id: (0, False) for q in quiz.questions}
    history.update({r["question_id"]: (r["n"], r["right"] > 0) for r in rows})
    return history


def _last_answers(*, student: User, lesson: LessonPage, quiz: Quiz) -> dict[str, list]:
    """The answer last checked per question of the quiz, as stored."""
    last: dict[str, list] = {}
    for question_id, answer in (
        QuizAttempt.objects.filter(
            student=student, lesson=lesson, question_id__in=[q.id for q in quiz.questions]
        )
        .order_by("answered_at", "pk")
        .values_list("question_id", "answer")
    ):
        last[question_id] = answer
    return last


def quiz_answer(
    *, student: User, lesson: LessonPage, question_id: str, answer: list[str]
) -> QuizOutcome:
    """One question, wherever it is in the lesson (the API's way in)."""
    quiz = next(
        (q for q in quizzes_in(lesson.body.raw_data) if q.question(question_id) is not None), None
    )
    if quiz is None:
        raise QuizRefused(
            _("Question “%(id)s” does not exist in this lesson; reload the page.")
            % {"id": str(question_id)[:64]}
        )
    return quiz_submit(
        student=student, lesson=lesson, quiz_id=quiz.id, answers={question_id: answer}
    )


# ---------------------------------------------------------------------------------------
# Graded exercises (grading reports them) and changes of the lesson tree (receivers)
# ---------------------------------------------------------------------------------------


@transaction.atomic
def exercise_outcome_record(
    *, student: User, course_id: int | None, exercise_id: int, passed: bool
) -> ExerciseOutcome:
    """Grading tells courses where a student stands at a notebook exercise (after grading,
    a regrade or a teacher's score): passed or not. Remembered per student and exercise,
    then the progress of the course's lessons that embed the exercise follows. Recording
    the same outcome twice changes nothing."""
    now = timezone.now()
    outcome, _created = ExerciseOutcome.objects.update_or_create(
        student=student, exercise_id=exercise_id, defaults={"passed": passed, "recorded_at": now}
    )
    course = CoursePage.objects.filter(pk=course_id).first() if course_id is not None else None
    if course is not None:
        course = canonical_page(course)
        if Enrolment.objects.filter(student=student, course=course).exists():
            for lesson in LessonPage.objects.child_of(course).live():
                if exercise_id in exercise_ids_in(lesson.body.raw_data):
                    _refresh_lesson(
                        student=student, lesson=lesson, course=course, served=lesson, now=now
                    )
    return outcome


def exercise_outcomes_forget(*, exercise_ids: list[int]) -> int:
    """Grading deleted these exercises: their outcomes go. Lessons already completed stay
    completed (completion, once reached, is kept). Returns the rows removed."""
    removed, _by_model = ExerciseOutcome.objects.filter(exercise_id__in=exercise_ids).delete()
    return removed


@transaction.atomic
def course_lessons_recount(*, course: CoursePage) -> int:
    """A lesson was published or unpublished: every student's percent of the course
    changes. Returns the summaries updated."""
    course = canonical_page(course)
    live = _live_lesson_ids(course)
    done = dict(
        LessonProgress.objects.filter(course=course, lesson_id__in=live, completed_at__isnull=False)
        .values("student")
        .annotate(n=Count("pk"))
        .values_list("student", "n")
    )
    rows = list(CourseProgress.objects.select_for_update().filter(course=course))
    now = timezone.now()
    for row in rows:
        _set_counts(row, total=len(live), done=done.get(row.student_id, 0), now=now)
    CourseProgress.objects.bulk_update(
        rows, ["lessons_total", "lessons_completed", "percent", "completed_at"]
    )
    selectors.EVERY_COHORT_PROGRESS.invalidate()
    return len(rows)


# ---------------------------------------------------------------------------------------
# Question banks from other platforms (Moodle XML, GIFT) into a lesson's quiz
# ---------------------------------------------------------------------------------------
class QuestionImportRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QuestionImportOutcome:
    revision_id: int
    questions: int  # added to the lesson's new quiz
    published: bool


def competence_top_level(competence: Competence) -> int:
    """The highest proficiency level of the competence's framework (1 when it has none)."""
    numbers = competence.area.framework.levels.values_list("number", flat=True)
    return max(numbers, default=1)


@transaction.atomic
def lesson_questions_import(
    *,
    lesson: LessonPage,
    bank: QuestionBank,
    competence: Competence,
    level: int,
    user: User | None,
    title: str = "",
    pass_percent: int = 60,
    publish: bool = False,
) -> QuestionImportOutcome:
    """Add the understood questions of a bank as one new quiz at the end of the lesson, as
    a new revision (a draft unless `publish`). Either the whole quiz is added or nothing:
    the preview is what the author agreed to, so a question that no longer fits refuses
    the import instead of going in half."""
    if not bank.questions:
        raise QuestionImportRefused(_("No question of the file can be imported."))
    top = competence_top_level(competence)
    if not 1 <= level <= top:
        raise QuestionImportRefused(
            _("The competence's framework has levels 1 to %(top)d.") % {"top": top}
        )
    if not 1 <= pass_percent <= 100:
        raise QuestionImportRefused(_("The pass mark is a percentage from 1 to 100."))
    page = lesson.get_latest_revision_as_object()
    questions = [
        {
            "type": "item",
            "id": str(uuid.uuid4()),
            "value": question.block_value(competence_id=competence.pk, level=level),
        }
        for question in bank.questions
    ]
    quiz = {
        "type": "quiz",
        "id": str(uuid.uuid4()),
        "value": {
            "title": title[:200],
            "pass_percent": pass_percent,
            "max_attempts": DEFAULT_MAX_ATTEMPTS,
            "explanations": EXPLAIN_AFTER_RIGHT,
            "questions": questions,
        },
    }
    page.body = [*page.body.raw_data, quiz]
    revision = page.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
    return QuestionImportOutcome(
        revision_id=revision.pk, questions=len(questions), published=publish
    )
