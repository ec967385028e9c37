"""The platform's own records (not a domain's): which Celery workers are alive."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker proved it consumes from the broker."""

    worker = models.CharField(_("worker"), max_length=200, unique=True)  # Celery hostname
    seen_at = models.DateTimeField(_("last seen"))  # when the heartbeat task last ran there

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
