from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _on_membership_saved(sender, instance, created, **kwargs):
    if created:
        from .services import enrol_new_cohort_member

        enrol_new_cohort_member(membership=instance)


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses and progress")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_save.connect(
            _on_membership_saved, sender="lms.Membership", dispatch_uid="courses.enrol_joiner"
        )
