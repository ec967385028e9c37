"""Pages of the courses app outside the Wagtail tree: answering quizzes, self-enrolment,
assigning courses, a cohort's progress and quiz statistics, CSV export, search.

Thin: check access, call one service or selector, render or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cms.exports import csv_response
from cms.translation import canonical_page, url_in_language
from people.models import Cohort

from . import access, page_selectors, selectors, services
from .forms import AssignmentForm, SearchForm
from .models import CoursePage, LessonPage


def _back_to(page, anchor: str = "") -> HttpResponse:
    return redirect(url_in_language(page) + (f"#{anchor}" if anchor else ""))


# ---------------------------------------------------------------------------------------
# Students
# ---------------------------------------------------------------------------------------


@login_required
@require_POST
def quiz_submit(request: HttpRequest, pk: int, quiz_id: str) -> HttpResponse:
    lesson = get_object_or_404(LessonPage.objects.live(), pk=pk)
    answers = {key[2:]: request.POST.getlist(key) for key in request.POST if key.startswith("q-")}
    try:
        # the form shows the last answers filled in: those sent back unchanged are no check
        services.quiz_submit(
            student=request.user,
            lesson=lesson,
            quiz_id=quiz_id,
            answers=answers,
            changed_only=True,
        )
    except services.QuizUnchanged as unchanged:
        messages.info(request, unchanged.message)
    except services.QuizRefused as refused:
        messages.error(request, refused.message)
    else:
        # in the quiz's own counts (all its questions, their latest answers), as it shows them
        state = page_selectors.lesson_state(user=request.user, lesson=lesson, enrolled=True)
        quiz = state.quizzes[quiz_id]
        messages.success(
            request,
            ngettext(
                "Checked. %(correct)d of %(total)d question of this quiz is right now.",
                "Checked. %(correct)d of %(total)d questions of this quiz are right now.",
                len(quiz.questions),
            )
            % {"correct": quiz.correct, "total": len(quiz.questions)},
        )
    return _back_to(lesson, f"quiz-{quiz_id}")


@login_required
@require_POST
def lesson_read(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(LessonPage.objects.live(), pk=pk)
    try:
        services.lesson_mark_read(student=request.user, lesson=lesson)
    except services.QuizRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Lesson completed."))
    return _back_to(lesson)


@login_required
@require_POST
def course_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_object_or_404(CoursePage.objects.live(), pk=pk)
    try:
        services.course_self_enrol(course=course, student=request.user)
    except services.EnrolmentRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("You are enrolled. The course is now on your dashboard."))
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return _back_to(course)


# ---------------------------------------------------------------------------------------
# Teachers: assigning courses
# ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def course_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign this course to one of the cohorts the teacher teaches."""
    course = canonical_page(get_object_or_404(CoursePage.objects.live(), pk=pk))
    cohorts = access.assignable_cohorts(request.user)
    if not cohorts.exists():
        raise PermissionDenied(_("Only teachers of a cohort can assign courses to it."))
    data = request.POST if request.method == "POST" else None
    form = AssignmentForm(data, course=course, cohorts=cohorts)
    if form.is_bound and form.is_valid():
        return _assign(request, form)
    return render(request, "courses/assign.html", {"form": form, "course": course})


@login_required
@require_http_methods(["GET", "POST"])
def cohort_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign a course to this cohort."""
    cohort = get_object_or_404(Cohort.objects.select_related("institution"), pk=pk)
    if not access.can_assign(request.user, cohort):
        raise PermissionDenied(_("Only teachers of this cohort can assign courses to it."))
    data = request.POST if request.method == "POST" else None
    courses = CoursePage.objects.filter(pk__in=[c.pk for c in selectors.catalogue()])
    form = AssignmentForm(data, cohort=cohort, courses=courses.order_by("title"))
    if form.is_bound and form.is_valid():
        return _assign(request, form)
    return render(request, "courses/assign.html", {"form": form, "cohort": cohort})


def _assign(request: HttpRequest, form: AssignmentForm) -> HttpResponse:
    if not access.can_assign(request.user, form.chosen_cohort):
        raise PermissionDenied(_("Only teachers of this cohort can assign courses to it."))
    assignment = services.course_assign(
        course=form.chosen_course,
        cohort=form.chosen_cohort,
        assigned_by=request.user,
        starts_at=form.starts_at,
        due_at=form.due_at,
    )
    enrolled = assignment.enrolments.count()
    messages.success(
        request,
        ngettext(
            "%(course)s is assigned to %(cohort)s; its %(count)d student is enrolled.",
            "%(course)s is assigned to %(cohort)s; its %(count)d students are enrolled.",
            enrolled,
        )
        % {
            "course": form.chosen_course.title,
            "cohort": form.chosen_cohort.name,
            "count": enrolled,
        },
    )
    return redirect(
        f"{_progress_url(form.chosen_cohort.pk)}?course={assignment.course_id}",
    )


def _progress_url(cohort_pk: int) -> str:
    return reverse("courses:cohort-progress", args=[cohort_pk])


# ---------------------------------------------------------------------------------------
# Teachers: following a cohort
# ---------------------------------------------------------------------------------------


def _cohort_and_course(request: HttpRequest, pk: int):
    found = selectors.cohort_with_courses(pk=pk)
    if found is None:
        raise Http404
    cohort, assignments = found
    if not access.can_follow_cohort(request.user, cohort):
        raise PermissionDenied(_("Only the cohort's teachers can follow its progress."))
    chosen = None
    wanted = request.GET.get("course", "")
    if wanted.isdigit():
        chosen = next((a for a in assignments if a.course_id == int(wanted)), None)
    if chosen is None and assignments:
        chosen = assignments[0]
    return cohort, assignments, chosen


@login_required
@require_GET
def cohort_progress(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, assignments, chosen = _cohort_and_course(request, pk)
    table = (
        selectors.cohort_progress(cohort=cohort, course=chosen.course, assignment=chosen)
        if chosen
        else None
    )
    return render(
        request,
        "courses/cohort_progress.html",
        {"cohort": cohort, "assignments": assignments, "chosen": chosen, "table": table},
    )


@login_required
@require_GET
def cohort_progress_csv(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, _assignments, chosen = _cohort_and_course(request, pk)
    if chosen is None:
        messages.error(request, _("No course is assigned to this cohort yet."))
        return redirect(_progress_url(cohort.pk))
    table = selectors.cohort_progress(cohort=cohort, course=chosen.course, assignment=chosen)
    day = timezone.localdate()
    filename = f"progress-{slugify(cohort.code)}-{slugify(chosen.course.slug)}-{day:%Y%m%d}.csv"
    header = [
        _("Last name"),
        _("First name"),
        _("Username"),
        _("Percent"),
        _("Lessons completed"),
        _("Last activity"),
        _("Behind"),
        *[lesson.title for lesson in table.lessons],
    ]
    status_labels = {
        "completed": _("completed"),
        "visited": _("visited"),
        "not_started": _("not started"),
    }
    rows = [
        [
            row.student.last_name,
            row.student.first_name,
            row.student.username,
            row.percent,
            f"{row.completed}/{len(table.lessons)}",
            timezone.localtime(row.last_activity_at).strftime("%Y-%m-%d %H:%M")
            if row.last_activity_at
            else "",
            _("yes") if row.behind else "",
            *[
                status_labels[cell.status]
                + (f" ({cell.quiz_percent}%)" if cell.quiz_percent is not None else "")
                for cell in row.cells
            ],
        ]
        for row in table.rows
    ]
    # formula-safe: a name such as "=HYPERLINK(...)" stays text in the teacher's spreadsheet
    return csv_response([header, *rows], filename=filename)


@login_required
@require_GET
def quiz_statistics(request: HttpRequest, pk: int) -> HttpResponse:
    cohort, assignments, chosen = _cohort_and_course(request, pk)
    stats = selectors.quiz_statistics(cohort=cohort, course=chosen.course) if chosen else []
    return render(
        request,
        "courses/quiz_statistics.html",
        {"cohort": cohort, "assignments": assignments, "chosen": chosen, "stats": stats},
    )


# ---------------------------------------------------------------------------------------
# Everyone: search
# ---------------------------------------------------------------------------------------


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    hits = []
    if form.is_bound and form.is_valid():
        hits = selectors.search(
            query=form.cleaned_data["q"],
            track=form.cleaned_data["track"],
            language=form.cleaned_data["language"],
        )
    return render(request, "courses/search.html", {"form": form, "hits": hits})
