"""Courses' sections of people's pages (`people.sections`), registered in wagtail_hooks.py:
the student's courses, next step and skill profile, the teacher's cohorts with their
courses, and a cohort's courses. Each reads one selector and renders one template."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from cms.pagecache import PAGES
from lms.cache import Namespace
from people.models import Cohort
from people.sections import Section

from . import access, selectors
from .charts import skill_profile_svg

# The dashboard's look of courses: cards, progress bars, the sub-headings, the chart.
STYLESHEETS = ("courses/css/courses.css",)


def student_learning(request: HttpRequest) -> selectors.StudentDashboard:
    """The student's courses, latest quiz results and skills, read once per request:
    several sections of the dashboard show parts of them (grading's recent results too)."""
    learning = getattr(request, "courses_student_learning", None)
    if learning is None:
        learning = selectors.student_dashboard(user=request.user)
        request.courses_student_learning = learning
    return learning


def student_courses(request: HttpRequest, role: str) -> Section | None:
    """My courses, with progress and due dates, and the next step."""
    if role != "student":
        return None
    html = render_to_string(
        "courses/_student_courses.html", {"learning": student_learning(request)}
    )
    return Section(html, stylesheets=STYLESHEETS)


def skill_profile(request: HttpRequest, role: str) -> Section | None:
    """The student's competences, drawn as SVG on the server."""
    if role != "student":
        return None
    skills = student_learning(request).skills
    html = render_to_string(
        "courses/_skill_profile.html", {"skill_chart": skill_profile_svg(skills) if skills else ""}
    )
    return Section(html, stylesheets=STYLESHEETS)


def shown_pages() -> Namespace:
    """The student's sections show pages (courses, lessons: titles, addresses, which are
    live): the student's cached panel (people.panels) goes with the pages' cache."""
    return PAGES


def teacher_courses(request: HttpRequest, role: str) -> Section | None:
    """The teacher's cohorts with their courses, and links to progress."""
    if role != "teacher":
        return None
    cohorts = selectors.taught_cohort_courses(user=request.user)
    return Section(render_to_string("courses/_teacher_courses.html", {"cohorts": cohorts}))


def cohort_courses(request: HttpRequest, cohort: Cohort) -> Section:
    """The courses of a cohort, on the cohort page; assigning is for its teachers."""
    follows = access.can_follow_cohort(request.user, cohort)
    context = {
        "cohort": cohort,
        "assignments": selectors.cohort_assignments(cohort=cohort),
        "can_assign": follows,
        "can_follow": follows,
    }
    return Section(render_to_string("courses/_cohort_courses.html", context))
