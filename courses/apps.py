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
