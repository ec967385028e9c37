from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.translation import gettext_lazy as _


def _on_evidence_changed(sender, instance, **kwargs):
    # after commit, once per (student, competence), whatever number of rows changed
    from .services import mastery_refresh_later

    mastery_refresh_later(student_id=instance.student_id, competence_id=instance.competence_id)


def _on_membership_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.role == "student" and instance.cohort_id:
        from .services import cohort_member_apply

        cohort_member_apply(student_id=instance.user_id, cohort_id=instance.cohort_id, sign=1)


def _on_membership_deleted(sender, instance, **kwargs):
    if instance.role == "student" and instance.cohort_id:
        from people.models import Cohort

        from .services import cohort_member_apply

        # a cohort being deleted takes its figures with it (CASCADE)
        if Cohort.objects.filter(pk=instance.cohort_id).exists():
            cohort_member_apply(student_id=instance.user_id, cohort_id=instance.cohort_id, sign=-1)


# What the cube is keyed by: a change to one of these moves a cohort's figures in it.
CUBE_FIELDS = {
    "Cohort": ("track", "academic_year", "institution_id"),
    "Institution": ("kind", "region_id"),
}


def _remember_cube_fields(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    fields = CUBE_FIELDS[sender.__name__]
    instance._reports_cube_before = (
        sender.objects.filter(pk=instance.pk).values_list(*fields).first()
    )


def _on_cube_fields_saved(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "_reports_cube_before", None)
    after = tuple(getattr(instance, f) for f in CUBE_FIELDS[sender.__name__])
    if created or raw or before is None or tuple(before) == after:
        return
    from django.db import transaction

    from .tasks import mastery_cube_rederive_task

    transaction.on_commit(mastery_cube_rederive_task.delay)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        for signal in (post_save, post_delete):
            signal.connect(
                _on_evidence_changed,
                sender="evidence.CompetenceEvidence",
                dispatch_uid=f"reports.evidence_{signal is post_save}",
            )
        post_save.connect(
            _on_membership_saved, sender="people.Membership", dispatch_uid="reports.member_joined"
        )
        post_delete.connect(
            _on_membership_deleted, sender="people.Membership", dispatch_uid="reports.member_left"
        )
        for model in ("people.Cohort", "people.Institution"):
            pre_save.connect(
                _remember_cube_fields, sender=model, dispatch_uid=f"reports.cube_before_{model}"
            )
            post_save.connect(
                _on_cube_fields_saved, sender=model, dispatch_uid=f"reports.cube_after_{model}"
            )
