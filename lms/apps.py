from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    """The project itself: worker heartbeats, the embedded broker."""

    name = "lms"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .celery import _prepare_file_broker

        _prepare_file_broker()
        post_migrate.connect(_empty_cache, sender=self, dispatch_uid="lms.empty_cache")


def _empty_cache(**kwargs) -> None:
    """A migrated database may be a new one: nothing cached from another (a route to a
    page id that now names another page) may outlive it."""
    from django.core.cache import cache

    cache.clear()
