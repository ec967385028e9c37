"""Grading's sections of people's pages (`people.sections`), registered in
wagtail_hooks.py: the student's recent results, graded exercises among the quizzes; the
teacher's needs-grading queue and, per cohort, the way to its gradebook, progress and
quiz statistics, on the dashboard and on the cohort page."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from courses import access as course_access
from courses import sections as course_sections
from people import access as people_access
from people import panels
from people.models import Cohort
from people.sections import Section

from . import selectors

RECENT_RESULTS = 6


def recent_results(request: HttpRequest, role: str) -> Section | None:
    """The student's latest quiz results (courses') and graded exercises, newest first,
    `RECENT_RESULTS` in all. The quizzes come from the dashboard's courses, read once."""
    if role != "student":
        return None
    quizzes = course_sections.student_learning(request).recent
    exercises = selectors.recent_exercise_results(user=request.user, limit=RECENT_RESULTS)
    recent = sorted([*quizzes, *exercises], key=lambda r: r.at, reverse=True)[:RECENT_RESULTS]
    html = render_to_string("grading/_recent_results.html", {"recent": recent})
    # its sub-heading has the look of the dashboard's other sections, courses'
    return Section(html, stylesheets=course_sections.STYLESHEETS)


# An exercise's title is in its students' recent results, on their cached dashboard
# panels (people.panels): renaming or deleting an exercise retires every panel. Most
# saves leave the title alone (a new source, a check's result): those retire nothing.
# Connected in apps.py.


def exercise_loaded(sender, instance, **kwargs) -> None:
    instance._title_shown = instance.__dict__.get("title")


def exercise_saved(sender, instance, created, **kwargs) -> None:
    title = instance.__dict__.get("title")
    if not created and title != getattr(instance, "_title_shown", None):  # new: in no results
        panels.students_changed()
    instance._title_shown = title


def exercise_deleted(sender, instance, **kwargs) -> None:
    panels.students_changed()


def teacher_home(request: HttpRequest, role: str) -> Section | None:
    """What waits for the teacher's score, and each cohort they teach with how much of it
    is that cohort's, and links to its gradebook, progress and quiz statistics. Three
    queries."""
    if role != "teacher":
        return None
    queue = selectors.grading_queue(user=request.user)
    cohorts = people_access.taught_cohorts(request.user)
    waiting = selectors.queue_by_cohort(queue, cohorts=cohorts)
    rows = [
        (cohort, waiting.get(cohort.pk, 0))
        for cohort in cohorts.select_related("institution").order_by("name")
    ]
    html = render_to_string(
        "grading/_teacher_home.html", {"waiting_total": queue.count(), "rows": rows}
    )
    return Section(html)


def cohort_grading(request: HttpRequest, cohort: Cohort) -> Section | None:
    """On the cohort page (its teachers' and institution admins', as the page checks):
    its gradebook, progress and quiz statistics, and, for its teachers, how much of its
    work waits for their score."""
    user = request.user
    if not user.is_authenticated:
        return None
    teaches = people_access.roles_of(user).teacher or user.is_staff
    waiting = None
    if teaches:
        queue = selectors.grading_queue(user=user)
        waiting = selectors.queue_of_cohort(queue, cohort=cohort).count()
    context = {
        "cohort": cohort,
        "waiting": waiting,
        "can_follow": course_access.can_follow_cohort(user, cohort),
    }
    return Section(render_to_string("grading/_cohort_grading.html", context))
