"""Celery tasks of the learning records: thin, idempotent, by id or by nothing at all."""

from celery import shared_task

from . import services


@shared_task(name="xapi.tasks.outbox_flush_task", ignore_result=True)
def outbox_flush_task() -> dict:
    """Send the outbox's due statements to the LRS. Queued after each recording commits and
    run by beat every minute; run twice, the second finds nothing due (or, on PostgreSQL,
    skips the rows the first holds), so nothing is sent twice."""
    report = services.outbox_flush()
    return {"sent": report.sent, "kept": report.kept}
