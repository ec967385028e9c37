from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    """The project itself: worker heartbeats, the embedded broker."""

    name = "lms"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .celery import _prepare_file_broker

        _prepare_file_broker()
