from django.apps import AppConfig
from django.db.models.signals import post_delete, post_init, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("Exercises and grading")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.utils import translation

        from . import (
            checks,  # noqa: F401 - registers the sandbox check
            sections,
        )
        from .notebook import i18n
        from .permissions import grant_teachers_exercise_permissions
        from .sandbox import runtimes

        post_migrate.connect(
            grant_teachers_exercise_permissions,
            sender=self,
            dispatch_uid="grading.grant_teachers_exercise_permissions",
        )
        # titles on students' dashboards
        for signal, receiver in (
            (post_init, sections.exercise_loaded),
            (post_save, sections.exercise_saved),
            (post_delete, sections.exercise_deleted),
        ):
            signal.connect(
                receiver, sender="grading.Exercise", dispatch_uid=f"grading.{receiver.__name__}"
            )
        # The pipeline cannot import Django; its messages come out in the active language.
        i18n.install(
            translation.gettext,
            plural=translation.ngettext,
            get_language=translation.get_language,
            activate=translation.activate,
        )
        runtimes.configure(
            install_dir=settings.GRADING_RUNTIMES_DIR, default=settings.GRADING_DEFAULT_RUNTIME
        )
