from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from evidence.models import CompetenceEvidence
        from evidence.signals import evidence_replaced

        # every process knows the reports tasks by name: reports.queue finds them there
        from . import caching, receivers, tasks  # noqa: F401

        # one evidence batch, one roll-up refresh, queued after commit (never per row)
        evidence_replaced.connect(
            receivers.on_evidence_replaced,
            sender=CompetenceEvidence,
            dispatch_uid="reports.evidence_replaced",
        )
        post_save.connect(
            receivers.on_membership_saved,
            sender="people.Membership",
            dispatch_uid="reports.member_joined",
        )
        post_delete.connect(
            receivers.on_membership_deleted,
            sender="people.Membership",
            dispatch_uid="reports.member_left",
        )
        pre_delete.connect(
            receivers.on_cohort_deleting,
            sender="people.Cohort",
            dispatch_uid="reports.cohort_deleting",
        )
        # what the reports name and count by: every cached report is retired (the roll-ups
        # retire only the reports they move, reports/rollups/ calling reports.caching)
        for model in (
            "people.Region",
            "people.Institution",
            "people.Cohort",
            "curricula.CompetenceFramework",
            "curricula.CompetenceArea",
            "curricula.Competence",
            "curricula.ProficiencyLevel",
        ):
            for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
                signal.connect(
                    caching.everything_changed,
                    sender=model,
                    dispatch_uid=f"reports.cached_{model}_{name}",
                )
        for model in ("people.Cohort", "people.Institution"):
            pre_save.connect(
                receivers.remember_cube_fields,
                sender=model,
                dispatch_uid=f"reports.cube_before_{model}",
            )
            post_save.connect(
                receivers.on_cube_fields_saved,
                sender=model,
                dispatch_uid=f"reports.cube_after_{model}",
            )
