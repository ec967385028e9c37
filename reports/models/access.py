"""Who read which report (the audit log) and the report files built in the background."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReportAccessLog(models.Model):
    """Every time someone reads a report: page, API, file or delivery. Written by
    reports.reading.report_read only, the one way any interface reads a report."""

    class Channel(models.TextChoices):
        PAGE = "page", _("Dashboard page")
        API = "api", _("API")
        FILE = "file", _("File download")
        DELIVERY = "delivery", _("Scheduled delivery")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )  # who read it (None: the scheduler)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)  # how
    what = models.CharField(_("what"), max_length=60)  # scope and format, e.g. "region/xlsx"
    filters = models.JSONField(_("filters"), default=dict)  # the filters as validated
    accessed_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)  # when

    class Meta:
        ordering = ["-accessed_at"]
        verbose_name = _("report access")
        verbose_name_plural = _("report access log")

    def __str__(self) -> str:
        return f"{self.accessed_at:%Y-%m-%d %H:%M} · {self.user_id} · {self.what}"


class ReportFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"


class ReportBuild(models.Model):
    """A report file being built in the background; the dashboard polls its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", pgettext_lazy("report build", "Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )  # only they may download it
    format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)  # file type
    filters = models.JSONField(_("filters"), default=dict)  # as validated, incl. the scope
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )  # where the build is
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # percent, 0..100
    content = models.BinaryField(_("content"), null=True, blank=True)  # the file when done
    error = models.TextField(_("error"), blank=True)  # why it failed
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)  # when asked
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)  # done or failed

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report build")
        verbose_name_plural = _("report builds")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="reportbuild_progress_le_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.format} · {self.status} · {self.progress}%"
