"""Pages of the grading app: the student's exercise page, and the teacher's tools."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.exports import csv_response
from courses.selectors import cohort_course_ids
from people import access as people_access
from people.models import Cohort

from . import access, selectors, services
from .forms import ManualGradeForm, SubmissionUploadForm
from .models import CellResult, Exercise, RegradeJob, Submission
from .notebook.errors import NotebookError


def _ui_strings() -> dict[str, str]:
    """Texts the exercise page's script shows, translated on the server."""
    return {
        "queued": _("Waiting for a grader…"),
        "running": _("Running your notebook in the sandbox…"),
        "graded": _("Graded"),
        "failed": _("Could not be graded"),
        "passed": _("passed"),
        "failed_test": _("failed"),
        "needs_manual": _("waiting for your teacher"),
        "score": _("Score"),
        "network_error": _("The connection was lost. Your answer is safe; reload the page."),
        "submitting": _("Submitting…"),
        "feedback": _("Open the full feedback"),
        "attempt": _("Attempt"),
    }


def exercise_panel_context(request: HttpRequest, exercise: Exercise) -> dict:
    """What the exercise panel shows a user (the exercise page and lesson blocks use it)."""
    may_submit = access.may_submit(request.user, exercise)
    submissions = list(selectors.student_submissions(exercise=exercise, student=request.user))
    latest = submissions[0] if submissions else None
    attempts_left = (
        None if exercise.max_attempts is None else max(exercise.max_attempts - len(submissions), 0)
    )
    return {
        "exercise": exercise,
        "may_submit": may_submit,
        "cells": selectors.student_cells(
            exercise=exercise, answers=selectors.last_answers(submission=latest)
        ),
        "submissions": submissions,
        "competences": selectors.exercise_competences(exercise=exercise),
        "latest": latest,
        "attempts_left": attempts_left,
        "upload_form": SubmissionUploadForm(),
        "ui_strings": _ui_strings(),
    }


@login_required
def exercise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The student's page: instructions, the editor, upload, live result, attempts."""
    exercise = get_object_or_404(Exercise.objects.select_related("course"), pk=pk)
    if not access.may_submit(request.user, exercise) and not access.may_manage(
        request.user, exercise
    ):
        raise PermissionDenied(_("This exercise belongs to a course you are not enrolled in."))
    return render(
        request, "grading/exercise_detail.html", exercise_panel_context(request, exercise)
    )


@login_required
@require_POST
def exercise_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload without JavaScript: store, then show the page (the result appears there)."""
    exercise = get_object_or_404(Exercise, pk=pk)
    if not access.may_submit(request.user, exercise):
        raise PermissionDenied(_("You are not enrolled in the course of this exercise."))
    form = SubmissionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.submission_create(
                exercise=exercise,
                student=request.user,
                notebook=form.cleaned_data["notebook"].read(),
                origin=Submission.Origin.UPLOAD,
            )
            messages.success(request, _("Your notebook was received and is being graded."))
        except NotebookError as exc:
            for problem in exc.problems:
                messages.error(request, problem)
        except services.SubmissionRefused as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose a notebook file (.ipynb) to upload."))
    return redirect("grading:exercise", pk=exercise.pk)


# ---------------------------------------------------------------------------------------
# Teachers
# ---------------------------------------------------------------------------------------


def _managed_exercise(request: HttpRequest, pk: int) -> Exercise:
    exercise = get_object_or_404(Exercise.objects.select_related("course"), pk=pk)
    if not access.may_manage(request.user, exercise):
        raise PermissionDenied(_("Only the exercise's teachers can open this page."))
    return exercise


@login_required
def exercise_list(request: HttpRequest) -> HttpResponse:
    exercises = access.managed_exercises(request.user).select_related("course").order_by("title")
    if not exercises.exists() and not people_access.roles_of(request.user).teacher:
        raise PermissionDenied(_("This page is for teachers."))
    return render(request, "grading/exercise_list.html", {"exercises": exercises})


@login_required
def exercise_manage(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    students = people_access.visible_students(request.user)
    submissions = selectors.exercise_submissions(
        exercise=exercise, students=None if request.user.is_staff else students
    )
    job = RegradeJob.objects.filter(exercise=exercise).first()
    return render(
        request,
        "grading/exercise_manage.html",
        {
            "exercise": exercise,
            "report": exercise.validation_report or {},
            "check": selectors.check_summary(report=exercise.validation_report or {}),
            "submissions": submissions,
            "job": job,
            "edit_url": reverse("wagtailsnippets_grading_exercise:edit", args=[exercise.pk]),
        },
    )


@login_required
def exercise_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The student version as students will see it (no solutions, no hidden tests)."""
    exercise = _managed_exercise(request, pk)
    return render(
        request,
        "grading/exercise_preview.html",
        {"exercise": exercise, "cells": selectors.student_cells(exercise=exercise)},
    )


@login_required
@require_POST
def exercise_regrade(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    students = None if request.user.is_staff else people_access.visible_students(request.user)
    job = services.exercise_regrade(
        exercise=exercise,
        requested_by=request.user,
        student_ids=None if students is None else list(students.values_list("pk", flat=True)),
    )
    messages.success(
        request, _("%(count)d submission(s) queued for regrading.") % {"count": job.total}
    )
    return redirect("grading:exercise-manage", pk=exercise.pk)


def _managed_submission(request: HttpRequest, uid) -> Submission:
    submission = get_object_or_404(
        Submission.objects.select_related("exercise", "student"), uid=uid
    )
    if not access.may_manage(request.user, submission.exercise) or not (
        access.visible_submissions(request.user).filter(pk=submission.pk).exists()
    ):
        raise PermissionDenied(_("Only the teachers of this student can open this submission."))
    return submission


@login_required
def submission_review(request: HttpRequest, uid) -> HttpResponse:
    """A teacher's view of one submission: results, manual grading, regrade."""
    submission = _managed_submission(request, uid)
    cells = list(submission.cells.all())
    return render(
        request,
        "grading/submission_review.html",
        {
            "submission": submission,
            "cells": [
                (
                    cell,
                    ManualGradeForm(
                        prefix=str(cell.pk), initial={"score": cell.score, "comment": cell.comment}
                    ),
                )
                for cell in cells
            ],
        },
    )


@login_required
@require_POST
def submission_grade_cell(request: HttpRequest, uid, cell_pk: int) -> HttpResponse:
    submission = _managed_submission(request, uid)
    cell = get_object_or_404(CellResult, pk=cell_pk, submission=submission)
    form = ManualGradeForm(request.POST, prefix=str(cell.pk))
    if form.is_valid():
        try:
            services.cell_grade_manually(
                cell=cell,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                teacher=request.user,
            )
            messages.success(request, _("Score saved for %(cell)s.") % {"cell": cell.grade_id})
        except ValueError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("Enter a score for %(cell)s.") % {"cell": cell.grade_id})
    return redirect("grading:submission-review", uid=submission.uid)


@login_required
@require_POST
def submission_regrade(request: HttpRequest, uid) -> HttpResponse:
    submission = _managed_submission(request, uid)
    services.submission_regrade(submission=submission)
    messages.success(request, _("The submission is being graded again."))
    return redirect("grading:submission-review", uid=submission.uid)


@login_required
def cohort_gradebook(request: HttpRequest, pk: int) -> HttpResponse:
    """Students x exercises of a cohort, with CSV export (?format=csv)."""
    cohort = get_object_or_404(Cohort.objects.select_related("institution"), pk=pk)
    if not people_access.can_manage_cohort(request.user, cohort):
        raise PermissionDenied(_("Only the cohort's teachers and institution admins can see it."))
    exercises = Exercise.objects.filter(course_id__in=cohort_course_ids(cohort=cohort))
    book = selectors.cohort_gradebook(cohort=cohort, exercises=exercises)
    if request.GET.get("format") == "csv":
        return _gradebook_csv(book)
    if request.GET.get("format"):
        raise Http404(_("Unknown export format."))
    return render(request, "grading/gradebook.html", {"book": book, "cohort": cohort})


def _gradebook_csv(book: selectors.Gradebook) -> HttpResponse:
    """One row per student: best score per exercise, total and maximum (formula-safe)."""
    header = [_("username"), _("last name"), _("first name")]
    header += [f"{e.title} (/{e.max_score:g})" for e in book.exercises]
    header += [_("total"), _("maximum")]
    maximum = f"{sum(e.max_score for e in book.exercises):g}"
    rows = [header]
    for row in book.rows:
        scores = [s.best_score if s and s.best_score is not None else "" for s in row.scores]
        total = sum(s for s in scores if s != "")
        rows.append(
            [row.student.username, row.student.last_name, row.student.first_name]
            + [f"{s:g}" if s != "" else "" for s in scores]
            + [f"{total:g}", maximum]
        )
    return csv_response(rows, filename=f"gradebook-{book.cohort.code}.csv")
