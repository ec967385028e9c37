"""The monthly reports delivered to the ministry's systems: where to, what, and how it went."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from people.models import Track


class MinistryEndpoint(models.Model):
    """A ministry system that receives the monthly report by signed HTTPS POST."""

    name = models.CharField(_("name"), max_length=120)  # who runs it
    url = models.URLField(_("URL"), max_length=500)  # HTTPS; plain HTTP only to this machine
    secret = models.CharField(
        _("shared secret"), max_length=200, help_text=_("Signs each delivery (HMAC-SHA256).")
    )  # agreed with the receiving system
    is_active = models.BooleanField(_("active"), default=True)  # inactive: nothing delivered

    class Meta:
        verbose_name = _("ministry endpoint")
        verbose_name_plural = _("ministry endpoints")
        constraints = [models.UniqueConstraint(fields=["url"], name="endpoint_unique_url")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        parts = urlsplit(self.url)
        local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not local:
            raise ValidationError({"url": _("Reports leave the platform over HTTPS only.")})


class ReportSchedule(models.Model):
    """A monthly report and who receives it. When it runs: the periodic task
    "monthly-ministry-reports" (django-celery-beat, editable in the admin)."""

    name = models.CharField(_("name"), max_length=120)  # what the report is called
    framework = models.ForeignKey(
        "curricula.CompetenceFramework",
        verbose_name=_("framework"),
        on_delete=models.PROTECT,
        related_name="+",
    )  # which framework's levels it reports
    region = models.ForeignKey(
        "people.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )  # None: the whole country
    track = models.CharField(
        _("track"), max_length=12, blank=True, choices=Track.choices
    )  # "": every track
    endpoints = models.ManyToManyField(
        MinistryEndpoint, verbose_name=_("endpoints"), related_name="schedules", blank=True
    )  # where it is delivered
    is_active = models.BooleanField(_("active"), default=True)  # inactive: not built
    created_at = models.DateTimeField(_("created"), auto_now_add=True)  # when set up

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        constraints = [models.UniqueConstraint(fields=["name"], name="schedule_unique_name")]

    def __str__(self) -> str:
        return self.name


class ReportDelivery(models.Model):
    """One report for one endpoint. Its idempotency key never changes: a retry or a resend
    carries the same key and the same bytes, so the receiver can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", pgettext_lazy("delivery", "Failed")

    schedule = models.ForeignKey(
        ReportSchedule,
        verbose_name=_("schedule"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )  # which report
    endpoint = models.ForeignKey(
        MinistryEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )  # to whom
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM the report describes
    idempotency_key = models.UUIDField(
        _("idempotency key"), default=uuid.uuid4, editable=False
    )  # sent as the Idempotency-Key header
    payload = models.BinaryField(_("payload"))  # the exact JSON bytes signed and sent
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )  # outcome so far
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)  # made so far
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)  # first 2xx
    created_at = models.DateTimeField(_("created"), auto_now_add=True)  # when built

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="delivery_unique_key"),
            # one delivery per report, endpoint and month: a second run of the monthly task
            # finds it instead of sending the report again
            models.UniqueConstraint(
                fields=["schedule", "endpoint", "period"], name="delivery_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                name="delivery_period_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} → {self.endpoint} · {self.period} · {self.status}"


class DeliveryAttempt(models.Model):
    """One HTTP POST of a delivery, whatever came of it."""

    delivery = models.ForeignKey(
        ReportDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )  # which delivery
    attempted_at = models.DateTimeField(_("when"), default=timezone.now)  # request sent
    ok = models.BooleanField(_("succeeded"))  # 2xx received
    http_status = models.PositiveSmallIntegerField(
        _("HTTP status"), null=True, blank=True
    )  # None: no answer (refused, timed out)
    error = models.CharField(_("error"), max_length=500, blank=True)  # what went wrong
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)  # round trip

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} · {self.attempted_at:%Y-%m-%d %H:%M:%S} · {self.http_status}"
