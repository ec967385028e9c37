from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site and pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .setup import ensure_groups, ensure_home_translations

        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="cms.ensure_groups")
        post_migrate.connect(
            ensure_home_translations, sender=self, dispatch_uid="cms.ensure_home_translations"
        )
