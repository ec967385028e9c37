"""What the reports app hears from the apps below it, which cannot call it (it sits above
them). Each receiver hands over ids and returns; connected in ReportsConfig.ready()."""

from __future__ import annotations

from people.models import Cohort, Role

from .rollups import (
    CUBE_FIELDS,
    cohort_completions_remove,
    cohort_member_apply,
    mastery_cube_rederive_queue,
    mastery_refresh_queue,
)


def on_evidence_replaced(sender, *, student_id: int, competence_ids, **kwargs) -> None:
    """One evidence batch committed (evidence.signals.evidence_replaced, sent once per
    batch after commit): queue one refresh of its roll-ups on the default queue."""
    mastery_refresh_queue(student_id=student_id, competence_ids=competence_ids)


def on_membership_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw and instance.role == Role.STUDENT and instance.cohort_id:
        cohort_member_apply(student_id=instance.user_id, cohort_id=instance.cohort_id, sign=1)


def on_membership_deleted(sender, instance, **kwargs) -> None:
    # a cohort being deleted takes its figures with it (CASCADE)
    if (
        instance.role == Role.STUDENT
        and instance.cohort_id
        and Cohort.objects.filter(pk=instance.cohort_id).exists()
    ):
        cohort_member_apply(student_id=instance.user_id, cohort_id=instance.cohort_id, sign=-1)


def on_cohort_deleting(sender, instance, **kwargs) -> None:
    """Before a cohort is deleted (its completion rows go with it, unseen by the recount)."""
    cohort_completions_remove(cohort_id=instance.pk)


def remember_cube_fields(sender, instance, raw=False, **kwargs) -> None:
    """Before a cohort or an institution is saved: what the cube is keyed by, as stored."""
    if raw or instance.pk is None:
        return
    fields = CUBE_FIELDS[sender.__name__]
    instance._reports_cube_before = (
        sender.objects.filter(pk=instance.pk).values_list(*fields).first()
    )


def on_cube_fields_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """After: if the cube's keys changed, re-derive the cube (queued after commit)."""
    before = getattr(instance, "_reports_cube_before", None)
    after = tuple(getattr(instance, f) for f in CUBE_FIELDS[sender.__name__])
    if created or raw or before is None or tuple(before) == after:
        return
    mastery_cube_rederive_queue()
