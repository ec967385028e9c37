from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("LTI 1.3 (university learning management systems)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from grading.models import Exercise
        from grading.signals import exercise_outcome_published

        # every process knows the LTI tasks by name: lti.queue finds them there
        from . import receivers, tasks  # noqa: F401

        # a graded, regraded or hand-graded result: its score goes back to the LMS
        exercise_outcome_published.connect(
            receivers.on_exercise_outcome_published,
            sender=Exercise,
            dispatch_uid="lti.exercise_outcome_published",
        )
