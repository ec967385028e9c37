"""Writes of the courses app: assigning courses to cohorts and enrolling students."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from lms.models import Cohort, Membership, Role, User

from .models import CourseAssignment, CoursePage, Enrolment


class EnrolmentRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def course_assign(
    *, course: CoursePage, cohort: Cohort, assigned_by: User | None, starts_at=None, due_at=None
) -> CourseAssignment:
    """Assign a course to a cohort and enrol its students; assigning again updates dates."""
    if starts_at and due_at and due_at < starts_at:
        raise ValueError(_("The due date must be after the start date."))
    assignment, _created = CourseAssignment.objects.update_or_create(
        course=course,
        cohort=cohort,
        defaults={"starts_at": starts_at, "due_at": due_at, "assigned_by": assigned_by},
    )
    student_ids = Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values_list(
        "user_id", flat=True
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                course=course,
                student_id=student_id,
                source=Enrolment.Source.ASSIGNED,
                assignment=assignment,
            )
            for student_id in student_ids
        ],
        ignore_conflicts=True,  # already enrolled (another cohort or self-enrolment)
    )
    return assignment


def enrol_new_cohort_member(*, membership: Membership) -> int:
    """A student who joins a cohort later gets its assigned courses; returns how many."""
    if membership.role != Role.STUDENT or membership.cohort_id is None:
        return 0
    assignments = list(CourseAssignment.objects.filter(cohort_id=membership.cohort_id))
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                course_id=a.course_id,
                student_id=membership.user_id,
                source=Enrolment.Source.ASSIGNED,
                assignment=a,
            )
            for a in assignments
        ],
        ignore_conflicts=True,
    )
    return len(assignments)


def course_self_enrol(*, course: CoursePage, student: User) -> Enrolment:
    if not course.is_open:
        raise EnrolmentRefused(
            _("This course is not open for self-enrolment; your teacher assigns it.")
        )
    enrolment, _created = Enrolment.objects.get_or_create(
        course=course, student=student, defaults={"source": Enrolment.Source.SELF}
    )
    return enrolment
