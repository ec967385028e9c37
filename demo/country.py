"""The whole demo country, loaded in the order its data needs: people (institutions,
cohorts, a user for every role), curricula (pages and the frameworks' editors), courses
(lessons, assignments, classmates' progress), grading (notebook exercises in the practice
lessons, checked in the sandbox). Each step is idempotent, so loading again adds nothing.

Reports have no loader of their own: the classmates' quiz answers become competence
evidence, which reports roll up as for any student.
"""

from __future__ import annotations

from . import courses, curricula, grading, people
from . import credentials as open_badges
from .people import Credential


def load() -> list[Credential]:
    """Load everything; returns the credentials to print, one per role."""
    credentials = people.load()
    curricula.load()
    courses.load()
    grading.load()
    open_badges.load()  # the demo pupil's credential for a completed course
    return credentials
