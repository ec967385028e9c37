from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _on_membership_saved(sender, instance, created, **kwargs):
    if created:
        from .services import enrol_new_cohort_member

        enrol_new_cohort_member(membership=instance)


def _on_submission_graded(sender, submission, **kwargs):
    # inside the grading transaction: evidence and progress commit with the results
    from .services import exercise_evidence_record

    exercise_evidence_record(submission=submission)


def _on_lesson_published_or_unpublished(sender, instance, **kwargs):
    from .models import CoursePage
    from .services import course_lessons_recount

    parent = instance.get_parent()
    course = parent.specific if parent is not None else None
    if isinstance(course, CoursePage):
        course_lessons_recount(course=course)


def _on_lesson_deleted(sender, instance, **kwargs):
    from django.db import transaction

    from .models import CoursePage
    from .services import course_lessons_recount

    course_path = instance.path[: -instance.steplen]

    def recount():
        course = CoursePage.objects.filter(path=course_path).first()
        if course is not None:  # not when the whole course went
            course_lessons_recount(course=course)

    transaction.on_commit(recount)


def _on_curricula_index_saved(sender, instance, created, **kwargs):
    if created:
        from .setup import assign_course_review

        assign_course_review(instance)


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses and progress")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.signals import page_published, page_unpublished

        from grading.signals import submission_graded

        from .models import LessonPage
        from .setup import setup_moderation_and_translation

        post_save.connect(
            _on_membership_saved, sender="people.Membership", dispatch_uid="courses.enrol_joiner"
        )
        submission_graded.connect(_on_submission_graded, dispatch_uid="courses.exercise_evidence")
        for signal in (page_published, page_unpublished):
            signal.connect(
                _on_lesson_published_or_unpublished,
                sender=LessonPage,
                dispatch_uid=f"courses.recount_on_{signal is page_published}",
            )
        post_delete.connect(
            _on_lesson_deleted, sender=LessonPage, dispatch_uid="courses.recount_on_delete"
        )
        post_save.connect(
            _on_curricula_index_saved,
            sender="curricula.CurriculumIndexPage",
            dispatch_uid="courses.course_review_for_index",
        )
        post_migrate.connect(
            setup_moderation_and_translation,
            sender=self,
            dispatch_uid="courses.setup_moderation_and_translation",
        )
