"""Who may read a lesson, take a course, assign it, and follow a cohort's progress.

Lessons are for the students enrolled in their course. Authors and teachers (anyone who
may use the Wagtail admin, every teacher, platform staff) read every lesson, without
their visits counting as progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from wagtail.models import Page

from cms.translation import canonical_page
from people import access as people_access
from people.models import Cohort, User

from .records import Enrolment


@dataclass(frozen=True)
class LessonAccess:
    allowed: bool
    enrolled: bool  # a student of the course: visits and answers are recorded
    reason: str = ""  # "login", "not_enrolled", "outline" (`reads_outline_only`) when not allowed


def is_author(user: User) -> bool:
    """Teachers, curriculum leads and staff: they read every lesson to author and teach."""
    if not user.is_authenticated:
        return False
    roles = people_access.roles_of(user)
    return user.is_staff or roles.teacher or roles.admin_access


def reads_outline_only(user: User) -> bool:
    """Institution admins and ministry analysts who neither study nor teach: they follow
    the courses of their cohorts to see what is taught, the course's outline (its
    lessons), not the lessons, and have nothing to enrol in."""
    if not user.is_authenticated or is_author(user):
        return False
    roles = people_access.roles_of(user)
    return (roles.institution_admin or roles.ministry_analyst) and not roles.student


def lesson_access(
    user: User, lesson: Page, *, course_id: int | None = None, enrolled: bool | None = None
) -> LessonAccess:
    """`course_id`: the original course's id when the caller knows it; `enrolled`: whether
    the user is enrolled in it, when the caller knows that (from the cache)."""
    if not user.is_authenticated:
        return LessonAccess(allowed=False, enrolled=False, reason="login")
    if enrolled is None:
        if course_id is None:
            course_id = canonical_page(lesson.get_parent().specific).pk
        enrolled = Enrolment.objects.filter(student=user, course_id=course_id).exists()
    if enrolled:
        return LessonAccess(allowed=True, enrolled=True)
    if is_author(user):
        return LessonAccess(allowed=True, enrolled=False)
    if reads_outline_only(user):
        return LessonAccess(allowed=False, enrolled=False, reason="outline")
    return LessonAccess(allowed=False, enrolled=False, reason="not_enrolled")


def assignable_cohorts(user: User) -> QuerySet[Cohort]:
    """Cohorts the user may assign courses to: the ones they teach."""
    if not user.is_authenticated:
        return Cohort.objects.none()
    return people_access.taught_cohorts(user).select_related("institution").order_by("name")


def can_assign(user: User, cohort: Cohort) -> bool:
    return assignable_cohorts(user).filter(pk=cohort.pk).exists()


def followed_cohorts(user: User) -> QuerySet[Cohort]:
    """Cohorts whose students' progress the user follows: the ones they teach."""
    if not user.is_authenticated:
        return Cohort.objects.none()
    return people_access.taught_cohorts(user)


def can_follow_cohort(user: User, cohort: Cohort) -> bool:
    """`followed_cohorts`, from the cached ids of the cohorts the user teaches."""
    return cohort.pk in people_access.taught_cohort_ids(user)


def may_self_enrol(user: User, course: Page) -> bool:
    return user.is_authenticated and course.is_open and course.live
