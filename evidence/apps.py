from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("Competence evidence")
    default_auto_field = "django.db.models.BigAutoField"
