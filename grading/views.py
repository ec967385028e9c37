"""Pages of the grading app: the student's exercise page, and the teacher's tools."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cms.exports import csv_response
from courses.selectors import cohort_course_ids
from people import access as people_access
from people.models import Cohort

from . import access, drafts, selectors, services
from .datafiles import DataFileLimits, DataFilesRefused
from .forms import DataFilesForm, ManualGradeForm, SubmissionUploadForm
from .models import CellResult, Exercise, ExerciseFile, RegradeJob, Submission
from .notebook.errors import NotebookError
from .sandbox import runtimes


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
        "elapsed": _("{seconds} s so far"),
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
            exercise=exercise,
            answers=drafts.answers_to_show(exercise=exercise, student=request.user, latest=latest),
        ),
        "submissions": submissions,
        "competences": selectors.exercise_competences(exercise=exercise),
        "latest": latest,
        "attempts_left": attempts_left,
        "upload_form": SubmissionUploadForm(),
        "data_files": _data_files(exercise),
        "ui_strings": _ui_strings(),
    }


def _data_files(exercise: Exercise):
    """The exercise's data files, without their content."""
    return ExerciseFile.objects.filter(exercise=exercise).only("pk", "path", "size", "uploaded_at")


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


@login_required
def submission_feedback(request: HttpRequest, pk: int, uid) -> HttpResponse:
    """The feedback of a graded attempt inside the site (header, language): the results,
    and the notebook page itself in a sandboxed frame of the API's feedback endpoint,
    which serves it under a CSP without scripts. For the student and their teachers;
    anyone else gets a 404, as for an attempt that does not exist."""
    submission = (
        access.visible_submissions(request.user)
        .select_related("exercise", "student")
        .filter(uid=uid, exercise_id=pk, status=Submission.Status.GRADED)
        .first()
    )
    if submission is None:
        raise Http404(_("There is no feedback here."))
    own = submission.student_id == request.user.pk
    return render(
        request,
        "grading/submission_feedback.html",
        {
            "submission": submission,
            "own": own,
            "may_review": not own and access.may_manage(request.user, submission.exercise),
        },
    )


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
    return _manage_page(request, _managed_exercise(request, pk))


def _manage_page(
    request: HttpRequest, exercise: Exercise, files_form: DataFilesForm | None = None
) -> HttpResponse:
    """The teacher's page of an exercise; with `files_form`, a refused upload and why."""
    students = people_access.visible_students(request.user)
    submissions = selectors.exercise_submissions(
        exercise=exercise, students=None if request.user.is_staff else students
    )
    submissions = list(submissions)
    namesakes = selectors.namesakes(s.student for s in submissions)
    if request.GET.get("part") == "submissions" and files_form is None:
        # the table alone: the regrade progress bar's script refreshes it as attempts finish
        return render(
            request,
            "grading/_manage_submissions.html",
            {"submissions": submissions, "namesakes": namesakes},
        )
    job = RegradeJob.objects.filter(exercise=exercise).first()
    runtime, runtime_problem = _runtime_of(exercise)
    return render(
        request,
        "grading/exercise_manage.html",
        {
            "exercise": exercise,
            "report": exercise.validation_report or {},
            "check": selectors.check_summary(report=exercise.validation_report or {}),
            "submissions": submissions,
            "namesakes": namesakes,
            "job": job,
            "edit_url": reverse("wagtailsnippets_grading_exercise:edit", args=[exercise.pk]),
            "runtime": runtime,
            "runtime_problem": runtime_problem,
            "data_files": _data_files(exercise),
            "files_form": files_form or DataFilesForm(exercise=exercise),
            "data_file_limits": _data_file_limits(),
        },
        status=400 if files_form is not None else 200,
    )


def _data_file_limits() -> dict[str, str]:
    limits = DataFileLimits.from_settings()
    return {"file": filesizeformat(limits.file_bytes), "total": filesizeformat(limits.total_bytes)}


def _runtime_of(exercise: Exercise) -> tuple[runtimes.Runtime | None, str]:
    """The installed runtime the exercise runs in here, or why there is none."""
    if not exercise.source_notebook:
        return None, ""
    try:
        name = services.exercise_runtime(
            notebook=exercise.source_notebook, runtime=exercise.runtime
        )
    except services.RuntimeRefused as exc:
        return None, exc.problems[0]
    return runtimes.get(name), ""


@login_required
@require_POST
def exercise_files_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """A teacher adds data files to an exercise; it is checked again with them."""
    exercise = _managed_exercise(request, pk)
    form = DataFilesForm(request.POST, request.FILES, exercise=exercise)
    if not form.is_valid():
        return _manage_page(request, exercise, files_form=form)  # the reasons, nothing stored
    try:
        changed = services.exercise_files_add(
            exercise=exercise, files=form.cleaned_data["contents"]
        )
    except DataFilesRefused as exc:  # another upload came first and filled the quota
        form.add_error(None, list(exc.problems))
        return _manage_page(request, exercise, files_form=form)
    if changed:
        messages.success(
            request,
            ngettext(
                "%(count)d data file saved; the notebook is being checked again with it.",
                "%(count)d data files saved; the notebook is being checked again with them.",
                changed,
            )
            % {"count": changed},
        )
    else:
        messages.info(request, _("These data files were already there, unchanged."))
    return redirect("grading:exercise-manage", pk=exercise.pk)


@login_required
@require_POST
def exercise_file_delete(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    data_file = get_object_or_404(
        ExerciseFile.objects.only("pk", "path"), pk=file_pk, exercise=exercise
    )
    services.exercise_file_delete(exercise=exercise, path=data_file.path)
    messages.success(
        request,
        _("%(path)s removed; the notebook is being checked again without it.")
        % {"path": data_file.path},
    )
    return redirect("grading:exercise-manage", pk=exercise.pk)


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
        request,
        ngettext(
            "%(count)d submission queued for regrading.",
            "%(count)d submissions queued for regrading.",
            job.total,
        )
        % {"count": job.total},
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
    """A teacher's view of one submission: results, manual grading, regrade; and, from
    the needs-grading queue (its filters in the query), the next attempt in it."""
    submission = _managed_submission(request, uid)
    cells = list(submission.cells.all())
    queue = _filtered_queue(request)
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
            "queue_next": selectors.queue_next(queue, after=submission),
            "queue_left": queue.exclude(pk=submission.pk).count(),
            "queue_query": _queue_query(request),
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
    review = reverse("grading:submission-review", kwargs={"uid": submission.uid})
    return redirect(review + _queue_query(request))


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
    namesakes = selectors.namesakes(row.student for row in book.rows)
    return render(
        request,
        "grading/gradebook.html",
        {"book": book, "cohort": cohort, "namesakes": namesakes},
    )


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


# ---------------------------------------------------------------------------------------
# Teachers: the needs-grading queue
# ---------------------------------------------------------------------------------------

QUEUE_PAGE_SIZE = 50


@login_required
def needs_grading(request: HttpRequest) -> HttpResponse:
    """Attempts with cells waiting for the teacher's score, oldest first, with how many
    wait per cohort and per exercise; ?cohort= and ?exercise= narrow it to one of the
    teacher's own (anything else, someone else's included, is a 404)."""
    user = request.user
    if not (people_access.roles_of(user).teacher or user.is_staff):
        raise PermissionDenied(_("This page is for teachers."))
    queue = selectors.grading_queue(user=user)
    cohorts = selectors.queue_cohorts(user=user)
    cohort = _chosen(request, "cohort", cohorts)
    exercise = _chosen(request, "exercise", access.managed_exercises(user))
    in_cohort = selectors.queue_of_cohort(queue, cohort=cohort) if cohort else queue
    shown = in_cohort.filter(exercise=exercise) if exercise else in_cohort
    page = Paginator(selectors.queue_with_waiting_cells(shown), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    by_cohort = selectors.queue_by_cohort(queue, cohorts=cohorts)
    return render(
        request,
        "grading/needs_grading.html",
        {
            "page": page,
            "total": queue.count(),
            "shown": page.paginator.count,
            "cohort": cohort,
            "exercise": exercise,
            "cohorts": [(c, by_cohort[c.pk]) for c in cohorts if c.pk in by_cohort],
            "exercises": selectors.queue_by_exercise(in_cohort),
            "namesakes": selectors.namesakes(s.student for s in page.object_list),
            "queue_query": _queue_query(request),
        },
    )


def _chosen(request: HttpRequest, name: str, among):
    """The object a filter of the query names, among the user's own; None without one.
    A number that is not one of them, or no number, is a 404: nothing tells whether it
    exists."""
    raw = request.GET.get(name, "")
    if not raw:
        return None
    found = among.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    if found is None:
        raise Http404(_("There is nothing of yours to grade here."))
    return found


def _queue_query(request: HttpRequest) -> str:
    """The queue's filters (?cohort=, ?exercise=) of this request, to carry from the
    queue to the review page and back; only numbers pass."""
    kept = {
        name: request.GET[name]
        for name in ("cohort", "exercise")
        if request.GET.get(name, "").isdigit() and len(request.GET[name]) < 12
    }
    return "?" + urlencode(kept) if kept else ""


def _filtered_queue(request: HttpRequest):
    """The user's queue narrowed by the filters the review page was opened with; a
    filter that is not the user's own is dropped, not obeyed."""
    user = request.user
    queue = selectors.grading_queue(user=user)
    raw = request.GET.get("cohort", "")
    if raw.isdigit() and len(raw) < 12:
        cohort = selectors.queue_cohorts(user=user).filter(pk=int(raw)).first()
        if cohort is not None:
            queue = selectors.queue_of_cohort(queue, cohort=cohort)
    raw = request.GET.get("exercise", "")
    if raw.isdigit() and len(raw) < 12:
        queue = queue.filter(exercise__in=access.managed_exercises(user), exercise_id=int(raw))
    return queue
