"""Who may open, submit to, and manage an exercise; whose submissions a user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from courses.selectors import enrolled_course_ids, taught_course_ids
from people import access as people_access
from people.models import Role, User
from people.services import CURRICULUM_LEADS_GROUP

from .models import Exercise, Submission


def is_curriculum_lead(user: User) -> bool:
    return user.is_authenticated and user.groups.filter(name=CURRICULUM_LEADS_GROUP).exists()


def exercises_for_student(user: User) -> QuerySet[Exercise]:
    """Ready exercises of the courses the student is enrolled in."""
    if not user.is_authenticated:
        return Exercise.objects.none()
    return Exercise.objects.filter(
        status=Exercise.Status.READY, course_id__in=enrolled_course_ids(user=user)
    )


def managed_exercises(user: User) -> QuerySet[Exercise]:
    """Exercises a teacher authored or whose course is assigned to a cohort they teach."""
    if not user.is_authenticated:
        return Exercise.objects.none()
    if user.is_staff or is_curriculum_lead(user):
        return Exercise.objects.all()
    if not people_access.roles_of(user).teacher:
        return Exercise.objects.none()
    # Subqueries, no joins: no duplicate rows, and the result combines with other filters.
    return Exercise.objects.filter(
        Q(created_by=user) | Q(course_id__in=taught_course_ids(user=user))
    )


def visible_exercises(user: User) -> QuerySet[Exercise]:
    return Exercise.objects.filter(
        Q(pk__in=exercises_for_student(user).values("pk"))
        | Q(pk__in=managed_exercises(user).values("pk"))
    )


def may_submit(user: User, exercise: Exercise) -> bool:
    return exercises_for_student(user).filter(pk=exercise.pk).exists()


def may_manage(user: User, exercise: Exercise) -> bool:
    return managed_exercises(user).filter(pk=exercise.pk).exists()


def visible_submissions(user: User) -> QuerySet[Submission]:
    """A student's own; for teachers, those of students in cohorts they manage."""
    if not user.is_authenticated:
        return Submission.objects.none()
    own = Q(student=user)
    if user.is_staff:
        return Submission.objects.all()
    managed_students = Q(
        student__memberships__role=Role.STUDENT,
        student__memberships__cohort__in=people_access.managed_cohorts(user).values("pk"),
        exercise__in=managed_exercises(user).values("pk"),
    )
    return Submission.objects.filter(own | managed_students).distinct()
