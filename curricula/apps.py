from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CurriculaConfig(AppConfig):
    name = "curricula"
    verbose_name = _("Curricula and competences")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.permissions import register_permission_policy

        from .models import CompetenceFramework
        from .permissions import competence_framework_policy, ensure_framework_editors_group

        # before wagtail_hooks.py registers the snippet, which would create a default policy
        register_permission_policy(CompetenceFramework, competence_framework_policy)
        post_migrate.connect(
            ensure_framework_editors_group,
            sender=self,
            dispatch_uid="curricula.ensure_framework_editors_group",
        )
