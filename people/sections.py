"""Parts of people's pages that the apps above people fill in, Wagtail-style.

People knows users, roles and cohorts, not courses or grades. Its dashboard and cohort
page name the places where other apps may add a section (the hook names below); an app
registers a function in its `wagtail_hooks.py`, and `people_sections` template tags render
what the functions return, in hook order::

    @hooks.register(DASHBOARD_SECTIONS, order=100)
    def my_courses(request, role):
        if role == "student":
            return Section(render_to_string(...), stylesheets=("courses/css/courses.css",))

A function returns None when it has nothing for this user, role or cohort.

The student's sections are cached with the student's panel (`people.panels`): an app that
adds one retires the panel whenever what it shows changes (`panels.student_changed`,
`panels.students_changed`, or a namespace of its own through `STUDENT_PANEL_VERSIONS`),
and writes what depends on the clock with the `late_timesince` / `late_past` filters.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from wagtail import hooks

from .models import Cohort

# fn(request, role) -> Section | None, role being "student" or "teacher": a part of the
# role's panel on the dashboard.
DASHBOARD_SECTIONS = "people_dashboard_sections"

# fn(request, cohort) -> Section | None: a part of the cohort's page, above its members.
COHORT_PAGE_SECTIONS = "people_cohort_page_sections"


@dataclass(frozen=True)
class Section:
    # the section's HTML, rendered by the app that owns it (a plain str is escaped)
    html: str
    # static paths of the stylesheets it needs; each is linked once per page
    stylesheets: tuple[str, ...] = ()


def dashboard_sections(request: HttpRequest, role: str) -> list[Section]:
    return _collect(DASHBOARD_SECTIONS, request, role)


def cohort_page_sections(request: HttpRequest, cohort: Cohort) -> list[Section]:
    return _collect(COHORT_PAGE_SECTIONS, request, cohort)


def _collect(hook_name: str, *args) -> list[Section]:
    found = (fn(*args) for fn in hooks.get_hooks(hook_name))
    return [section for section in found if section is not None]
