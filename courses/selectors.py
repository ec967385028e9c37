"""Reads of the courses app: who is enrolled where, which courses a cohort has."""

from __future__ import annotations

from django.db.models import QuerySet

from lms import access as lms_access
from lms.models import Cohort, User

from .models import CourseAssignment, CoursePage, Enrolment


def enrolled_course_ids(*, user: User) -> QuerySet:
    return Enrolment.objects.filter(student=user).values("course_id")


def taught_course_ids(*, user: User) -> QuerySet:
    """Courses assigned to a cohort the user teaches or administers."""
    return CourseAssignment.objects.filter(
        cohort__in=lms_access.managed_cohorts(user).values("pk")
    ).values("course_id")


def cohort_course_ids(*, cohort: Cohort) -> QuerySet:
    return CourseAssignment.objects.filter(cohort=cohort).values("course_id")


def student_courses(*, user: User) -> QuerySet[CoursePage]:
    return CoursePage.objects.live().filter(pk__in=enrolled_course_ids(user=user))
