"""What courses does when something happens in an app it cannot be called from.

people (cohort memberships), curricula (curricula index pages, competences), evidence (a
batch replaced) and Wagtail (publishing a lesson) sit below courses, so they announce with
Django's and Wagtail's signals and these receivers react; apps.py connects them. Each
calls one service.
"""

from django.db import transaction

from people import panels

from . import moderation, selectors, services
from .models import CoursePage


def on_membership_saved(sender, instance, created, **kwargs):
    """A student who joins a cohort later gets its assigned courses."""
    if created:
        services.enrol_new_cohort_member(membership=instance)


def on_lesson_published_or_unpublished(sender, instance, **kwargs):
    """Every student's percent of the course changes."""
    parent = instance.get_parent()
    course = parent.specific if parent is not None else None
    if isinstance(course, CoursePage):
        services.course_lessons_recount(course=course)


def on_lesson_deleted(sender, instance, **kwargs):
    """As for unpublishing, once the deletion is committed (not when the whole course
    went)."""
    course_path = instance.path[: -instance.steplen]

    def recount():
        course = CoursePage.objects.filter(path=course_path).first()
        if course is not None:
            services.course_lessons_recount(course=course)

    transaction.on_commit(recount)


def on_curricula_index_saved(sender, instance, created, **kwargs):
    """A new curricula index (a new locale's) comes under course review."""
    if created:
        moderation.assign_course_review(instance)


def on_evidence_replaced(sender, *, student_id: int, **kwargs):
    """The student's skill profile (their dashboard's, which is cached) changed."""
    panels.student_changed(student_id)


def on_cohort_member_changed(sender, instance, **kwargs):
    """A member joined or left a cohort: its progress page lists its students."""
    if instance.cohort_id:
        selectors.cohort_progress_changed(cohort_ids=[instance.cohort_id])


def on_user_saved(sender, instance, created, update_fields=None, **kwargs):
    """A name may have changed: the progress pages of the user's cohorts show it. (A login
    saves the time of the last login only.)"""
    if not created and set(update_fields or ()) != {"last_login"}:
        selectors.cohort_progress_changed(student_ids=[instance.pk])


def on_enrolment_changed(sender, instance, **kwargs):
    """An enrolment saved or deleted one by one (the services' bulk writes say so
    themselves): the student's lesson pages and panel change."""
    panels.student_changed(instance.student_id)


def on_competences_changed(sender, **kwargs):
    """A competence, area or framework saved or deleted: every skill profile shows them."""
    panels.students_changed()


def on_cohort_courses_changed(sender, **kwargs):
    """A cohort, an institution or a course assignment saved or deleted: the cached cohorts
    with their courses (the teachers' cohort pages) are retired."""
    selectors.COHORT_COURSES.invalidate()
