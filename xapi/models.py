"""Learning records: xAPI statements on their way to the Learning Record Store.

Below courses and grading: they call `xapi.services` in the transaction that changes what a
statement records, so the statement is stored if and only if that change commits. The
outbox keeps each statement complete, with its id fixed at creation, until the LRS has it;
sending it again (a lost answer, a retry) sends the same id, which an LRS stores once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LearnerAccount(models.Model):
    """The name a person goes by in the LRS: an account on the platform's home page whose
    name is a random id, not their e-mail, username or name, and never changes (renaming a
    user, or rotating SECRET_KEY, keeps their learning record theirs)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="xapi_account",
    )  # whose account
    name = models.UUIDField(
        _("account name"), default=uuid.uuid4, unique=True, editable=False
    )  # the actor's account.name in every statement about them

    class Meta:
        verbose_name = _("learner account (xAPI)")
        verbose_name_plural = _("learner accounts (xAPI)")

    def __str__(self) -> str:
        return str(self.name)


class StatementQuerySet(models.QuerySet):
    def due(self, now=None):
        """Statements to (try to) send now: not yet taken by the LRS and not backing off."""
        return self.exclude(status=StatementOutbox.Status.SENT).filter(
            next_attempt_at__lte=now or timezone.now()
        )


class StatementOutbox(models.Model):
    """One xAPI statement, stored with the data it records and kept until the LRS has it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        REFUSED = "refused", _("Refused by the LRS")

    statement_id = models.UUIDField(
        _("statement id"), unique=True, editable=False
    )  # the statement's "id", fixed at creation: a retry never makes a second statement
    verb = models.CharField(
        _("verb"), max_length=200
    )  # the verb's IRI, kept apart from the JSON for the admin's filter
    statement = models.JSONField(
        _("statement")
    )  # the complete statement as sent (id, timestamp, actor, verb, object, ...)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )  # pending until the LRS takes it; refused: it answered 4xx (retried all the same)
    attempts = models.PositiveIntegerField(
        _("attempts"), default=0
    )  # posts to the LRS so far, successful or not
    last_error = models.TextField(
        _("reason"), blank=True
    )  # why the last attempt failed: the LRS's answer, or that it could not be reached
    next_attempt_at = models.DateTimeField(
        _("next attempt"), default=timezone.now
    )  # not sent before this (backing off after a failure)
    created_at = models.DateTimeField(
        _("created"), default=timezone.now
    )  # when the statement was recorded
    sent_at = models.DateTimeField(
        _("sent"), null=True, blank=True
    )  # when the LRS took it (or said it already had it)

    objects = StatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("xAPI statement")
        verbose_name_plural = _("xAPI statements (outbox)")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="xapi_outbox_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="xapi_outbox_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return str(self.statement_id)
