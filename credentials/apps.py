from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = _("Credentials (Open Badges)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from courses.models import CourseProgress
        from courses.signals import course_completed

        # every process knows the credentials task by name: credentials.queue finds it there
        from . import receivers, tasks  # noqa: F401

        # one completed course, one issuing task, queued after the completion committed
        course_completed.connect(
            receivers.on_course_completed,
            sender=CourseProgress,
            dispatch_uid="credentials.course_completed",
        )
