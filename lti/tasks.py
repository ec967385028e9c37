"""Celery tasks of the LTI tool: thin, by id, idempotent."""

from celery import shared_task

from . import passbacks, roster


@shared_task(name="lti.tasks.passback_send_task", ignore_result=True)
def passback_send_task(passback_id: int) -> str:
    """Send one score to its LMS. Run twice, the second finds it sent (or not yet due)
    and does nothing."""
    row = passbacks.passback_send(passback_id=passback_id)
    return row.status if row else "skipped"


@shared_task(name="lti.tasks.passbacks_due_task", ignore_result=True)
def passbacks_due_task() -> int:
    """Beat, every minute: scores whose retry is due (an LMS that was down)."""
    return passbacks.passbacks_send_due()


@shared_task(name="lti.tasks.roster_sync_task", ignore_result=True)
def roster_sync_task(context_id: int) -> dict:
    """Fetch an LMS course's roster (NRPS) into its cohort; run twice, the same members."""
    report = roster.roster_sync(context_id=context_id)
    return {"added": report.added, "removed": report.removed}
