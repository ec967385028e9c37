"""Periodic housekeeping tasks of the platform."""

from celery import shared_task

from . import services


@shared_task(bind=True, ignore_result=True)
def worker_heartbeat_task(self) -> None:
    """Record that this worker consumes from the broker (shown on /healthz/ and the admin).

    Running it twice only moves the timestamp forward.
    """
    services.worker_heartbeat_record(worker=self.request.hostname or "unknown")
