from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
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
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.on_credential_changed,
                sender="credentials.Credential",
                dispatch_uid=f"credentials.panel_{signal is post_save}",
            )
