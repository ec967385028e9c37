from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site and pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import pagecache
        from .locales import ensure_home_translations, ensure_locales
        from .permissions import ensure_editor_groups, ensure_translation_rights

        # after every migrate, in this order: the rights on the home page's translations
        # need the groups and the translations
        for bootstrap in (
            ensure_locales,
            ensure_editor_groups,
            ensure_home_translations,
            ensure_translation_rights,
        ):
            post_migrate.connect(bootstrap, sender=self, dispatch_uid=f"cms.{bootstrap.__name__}")
        pagecache.connect()
