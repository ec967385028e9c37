from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses and progress")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.models import AbstractPage
        from wagtail.permissions import register_permission_policy
        from wagtail.signals import page_published, page_unpublished

        from evidence.signals import evidence_replaced

        from . import receivers
        from .models import LessonPage
        from .moderation import ensure_course_review
        from .permissions import page_policy

        # every page type: teachers' rights follow their courses and tracks (permissions.py)
        register_permission_policy(AbstractPage, page_policy)

        post_save.connect(
            receivers.on_membership_saved,
            sender="people.Membership",
            dispatch_uid="courses.enrol_joiner",
        )
        for signal in (page_published, page_unpublished):
            signal.connect(
                receivers.on_lesson_published_or_unpublished,
                sender=LessonPage,
                dispatch_uid=f"courses.recount_on_{signal is page_published}",
            )
        post_delete.connect(
            receivers.on_lesson_deleted, sender=LessonPage, dispatch_uid="courses.recount_on_delete"
        )
        post_save.connect(
            receivers.on_curricula_index_saved,
            sender="curricula.CurriculumIndexPage",
            dispatch_uid="courses.course_review_for_index",
        )
        post_migrate.connect(
            ensure_course_review, sender=self, dispatch_uid="courses.ensure_course_review"
        )
        # a cohort with its courses is cached (selectors.COHORT_COURSES)
        for model in ("people.Cohort", "people.Institution", "courses.CourseAssignment"):
            for signal in (post_save, post_delete):
                signal.connect(
                    receivers.on_cohort_courses_changed,
                    sender=model,
                    dispatch_uid=f"courses.cohort_courses_{model}_{signal is post_save}",
                )
        # a cohort's progress page is cached (selectors.cohort_progress): its members
        # and their names
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.on_cohort_member_changed,
                sender="people.Membership",
                dispatch_uid=f"courses.cohort_progress_member_{signal is post_save}",
            )
        post_save.connect(
            receivers.on_user_saved, sender="people.User", dispatch_uid="courses.progress_names"
        )
        # what a student did in a lesson is cached with their work (people.panels): an
        # enrolment saved or deleted anywhere (the admin, a cascade) retires it
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.on_enrolment_changed,
                sender="courses.Enrolment",
                dispatch_uid=f"courses.enrolment_{signal is post_save}",
            )
        # the student's dashboard panel is cached (people.panels): the skill profile
        evidence_replaced.connect(
            receivers.on_evidence_replaced, dispatch_uid="courses.panel_evidence"
        )
        for model in ("CompetenceFramework", "CompetenceArea", "Competence"):
            for signal in (post_save, post_delete):
                signal.connect(
                    receivers.on_competences_changed,
                    sender=f"curricula.{model}",
                    dispatch_uid=f"courses.panel_{model}_{signal is post_save}",
                )
