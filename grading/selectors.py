"""Reads of the grading app for pages and exports."""

from __future__ import annotations

from dataclasses import dataclass

import bleach
import mistune
import nbformat
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from courses.records import CourseAssignment
from courses.selectors import RecentResult
from people import access as people_access
from people.models import Cohort, Role, User

from . import access
from .models import Exercise, ExerciseSummary, Submission
from .notebook.metadata import CellKind, nbgrader_metadata

MARKDOWN_TAGS = bleach.ALLOWED_TAGS | {
    "p",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "br",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "sup",
    "sub",
}


@dataclass(frozen=True)
class NotebookCellView:
    kind: str  # "markdown" | "code" | "answer"
    html: str  # rendered markdown (sanitized), for markdown cells
    source: str  # code, or the answer to edit
    grade_id: str  # for answer cells
    cell_type: str  # code / markdown: what the answer is written in
    index: int = -1  # position in the student notebook (a run's outputs name it)


def render_markdown(text: str) -> str:
    return bleach.clean(
        mistune.html(text), tags=MARKDOWN_TAGS, attributes={"img": ["src", "alt"], "a": ["href"]}
    )


def student_cells(*, exercise: Exercise, answers: dict[str, str] | None = None):
    """The student version as cells to show, with answer cells editable in the browser."""
    answers = answers or {}
    nb = nbformat.from_dict(exercise.student_notebook)
    views = []
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_metadata(cell)
        if meta.kind in (CellKind.ANSWER, CellKind.MANUAL_ANSWER) and meta.grade_id:
            views.append(
                NotebookCellView(
                    "answer",
                    "",
                    answers.get(meta.grade_id, cell.source),
                    meta.grade_id,
                    cell.cell_type,
                    index,
                )
            )
        elif cell.cell_type == "markdown":
            views.append(
                NotebookCellView("markdown", render_markdown(cell.source), "", "", "", index)
            )
        elif cell.cell_type == "code":
            views.append(NotebookCellView("code", "", cell.source, meta.grade_id, "code", index))
    return views


def last_answers(*, submission: Submission | None) -> dict[str, str]:
    """The answer cells of a submission, to prefill the browser editor."""
    if submission is None:
        return {}
    nb = nbformat.from_dict(submission.notebook)
    return {
        meta.grade_id: cell.source
        for cell in nb.cells
        if (meta := nbgrader_metadata(cell)).grade_id
        and meta.kind in (CellKind.ANSWER, CellKind.MANUAL_ANSWER)
    }


def student_submissions(*, exercise: Exercise, student: User) -> QuerySet[Submission]:
    return Submission.objects.filter(exercise=exercise, student=student).prefetch_related("cells")


def recent_exercise_results(*, user: User, limit: int = 6) -> list[RecentResult]:
    """The student's latest graded attempt of each exercise, the last one they handed in
    first, as the dashboard lists results (next to the quizzes of courses). In the order
    of the student's own work (`submitted_at`): a teacher's regrade, which grades an old
    attempt again, moves nothing. One query."""
    latest = (
        Submission.objects.filter(
            student=user, exercise=OuterRef("exercise"), status=Submission.Status.GRADED
        )
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )
    # the five values shown, not the rows: a submission holds its notebook, an exercise
    # its notebooks and specification
    submissions = (
        Submission.objects.filter(
            student=user, status=Submission.Status.GRADED, pk=Subquery(latest)
        )
        .order_by("-submitted_at", "-pk")
        .values_list("exercise_id", "exercise__title", "total", "max_total", "submitted_at")[:limit]
    )
    return [
        RecentResult(
            kind="exercise",
            title=title,
            url=reverse("grading:exercise", args=[exercise_id]),
            percent=round(100 * (total or 0) / max_total) if max_total else None,
            passed=bool(max_total and (total or 0) >= max_total),
            at=submitted_at,
        )
        for exercise_id, title, total, max_total, submitted_at in submissions
    ]


def exercise_submissions(*, exercise: Exercise, students: QuerySet[User] | None = None):
    qs = Submission.objects.filter(exercise=exercise).select_related("student")
    if students is not None:
        qs = qs.filter(student__in=students)
    return qs.order_by("student__last_name", "student__first_name", "-attempt")


@dataclass(frozen=True)
class GradebookRow:
    student: User
    scores: list[ExerciseSummary | None]  # one per exercise, in column order


@dataclass(frozen=True)
class Gradebook:
    cohort: Cohort
    exercises: list[Exercise]
    rows: list[GradebookRow]


def cohort_gradebook(*, cohort: Cohort, exercises: QuerySet[Exercise]) -> Gradebook:
    """Students x exercises with the best score of each; three queries whatever the size."""
    exercise_list = list(exercises.order_by("course__title", "title"))
    students = list(
        User.objects.filter(memberships__cohort=cohort, memberships__role=Role.STUDENT)
        .order_by("last_name", "first_name", "username")
        .distinct()
    )
    summaries = {
        (s.student_id, s.exercise_id): s
        for s in ExerciseSummary.objects.filter(
            student__in=[s.pk for s in students], exercise__in=[e.pk for e in exercise_list]
        )
    }
    rows = [
        GradebookRow(student, [summaries.get((student.pk, e.pk)) for e in exercise_list])
        for student in students
    ]
    return Gradebook(cohort=cohort, exercises=exercise_list, rows=rows)


@dataclass(frozen=True)
class CheckSummary:
    """What the check of a source notebook found, in the figures a teacher reads."""

    solution_total: float  # what the solution scored automatically
    automatic_points: float  # points the grader scores by itself
    manual_points: float  # points a teacher grades by hand
    student_total: float | None  # what the unanswered student version scored


def check_summary(*, report: dict) -> CheckSummary | None:
    """Figures of an exercise's validation report; None before the check ran."""
    solution = report.get("solution") or None
    if not solution:
        return None
    cells = solution.get("cells", [])
    manual = sum(c["max_score"] for c in cells if c.get("status") == "needs_manual")
    student = report.get("student") or {}
    return CheckSummary(
        solution_total=solution.get("total", 0),
        automatic_points=solution.get("max_total", 0) - manual,
        manual_points=manual,
        student_total=student.get("total"),
    )


@dataclass(frozen=True)
class EvidencedCompetence:
    competence: object  # curricula.Competence, with its area and framework loaded
    level: int  # the highest level a graded cell of the exercise shows


def exercise_competences(*, exercise: Exercise) -> list[EvidencedCompetence]:
    """The competences an exercise is evidence for, each once, at its highest level."""
    best: dict[int, EvidencedCompetence] = {}
    for link in exercise.competence_links.select_related("competence__area__framework"):
        known = best.get(link.competence_id)
        if known is None or link.level > known.level:
            best[link.competence_id] = EvidencedCompetence(link.competence, link.level)
    return sorted(
        best.values(),
        key=lambda e: (e.competence.area.framework.name, e.competence.code, e.level),
    )


# ---------------------------------------------------------------------------------------
# Teachers: the needs-grading queue
# ---------------------------------------------------------------------------------------


def grading_queue(*, user: User) -> QuerySet[Submission]:
    """Graded attempts with a cell still waiting for a teacher's score (a free answer, a
    task), of the students and exercises the user manages (`access.visible_submissions`:
    their cohorts, their courses), oldest first: the order a teacher works through."""
    visible = access.visible_submissions(user).exclude(student=user).values("pk")
    return (
        Submission.objects.filter(
            pk__in=visible, status=Submission.Status.GRADED, needs_manual=True
        )
        .select_related("exercise", "student")
        .order_by("submitted_at", "pk")
    )


def queue_of_cohort(queue: QuerySet[Submission], *, cohort: Cohort) -> QuerySet[Submission]:
    """The part of the queue a cohort's work makes: its students' attempts at exercises
    of the courses assigned to it."""
    students = User.objects.filter(
        memberships__cohort=cohort, memberships__role=Role.STUDENT
    ).values("pk")
    courses = CourseAssignment.objects.filter(cohort=cohort).values("course_id")
    return queue.filter(student__in=students, exercise__course__in=courses)


def queue_with_waiting_cells(queue: QuerySet[Submission]) -> QuerySet[Submission]:
    """Each attempt with `waiting`: how many of its cells have no score yet."""
    return queue.annotate(
        waiting=Count(
            "cells",
            filter=Q(cells__manual_score__isnull=True, cells__auto_score__isnull=True),
        )
    )


@dataclass(frozen=True)
class QueueCount:
    pk: int
    name: str
    count: int


def queue_by_exercise(queue: QuerySet[Submission]) -> list[QueueCount]:
    """How many attempts wait per exercise, by title. One query."""
    rows = (
        queue.order_by()
        .values("exercise_id", "exercise__title")
        .annotate(n=Count("pk"))
        .order_by("exercise__title", "exercise_id")
    )
    return [QueueCount(r["exercise_id"], r["exercise__title"], r["n"]) for r in rows]


def queue_by_cohort(queue: QuerySet[Submission], *, cohorts: QuerySet[Cohort]) -> dict[int, int]:
    """How many attempts wait per cohort (`queue_of_cohort` for each of `cohorts` at once):
    cohort pk -> count, cohorts with none left out. One query."""
    assigned = CourseAssignment.objects.filter(
        cohort=OuterRef("queue_cohort"), course=OuterRef("exercise__course")
    )
    rows = (
        queue.order_by()
        .filter(
            student__memberships__role=Role.STUDENT,
            student__memberships__cohort__in=cohorts.values("pk"),
        )
        .annotate(queue_cohort=F("student__memberships__cohort"))
        .filter(Exists(assigned))
        .values("queue_cohort")
        .annotate(n=Count("pk", distinct=True))
    )
    return {r["queue_cohort"]: r["n"] for r in rows}


def queue_next(queue: QuerySet[Submission], *, after: Submission) -> Submission | None:
    """The attempt to grade after `after`: the next one in the queue's order, or, at its
    end, its first (one skipped earlier); never `after` itself."""
    rest = queue.exclude(pk=after.pk)
    later = rest.filter(
        Q(submitted_at__gt=after.submitted_at) | Q(submitted_at=after.submitted_at, pk__gt=after.pk)
    ).first()
    return later or rest.first()


def queue_cohorts(*, user: User) -> QuerySet[Cohort]:
    """The cohorts whose work comes to the user's queue, by name."""
    return people_access.managed_cohorts(user).select_related("institution").order_by("name")


def namesakes(users) -> set[int]:
    """The pks of those among `users` whose display name another of them shares: a list
    names them with their username too, so a teacher tells two Aysel Aliyevas apart."""
    seen: dict[str, set[int]] = {}
    for user in users:
        seen.setdefault(user.display_name.strip().casefold(), set()).add(user.pk)
    return {pk for pks in seen.values() if len(pks) > 1 for pk in pks}
