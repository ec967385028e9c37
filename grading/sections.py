"""Grading's section of people's dashboard (`people.sections`), registered in
wagtail_hooks.py: the student's recent results, graded exercises among the quizzes."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from courses import sections as course_sections
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
