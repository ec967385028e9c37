"""LTI 1.3: the LMSs registered with the platform, who and what they launched, and the
scores handed back to them.

A registration is one LMS (an issuer and the client id it gave the platform). Its users
are linked by the LMS's own user id (`sub`), never by e-mail; each LMS course (a
"context") becomes one cohort of the registration's institution, and each link in it (a
"resource link") opens one exercise or course of the platform.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def token_digest(token: str) -> str:
    """What is stored of a secret handed out once (a dynamic registration invitation)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ToolKey(models.Model):
    """The key the platform signs its LTI messages with (deep-linking responses, service
    token requests). One signs; older ones stay published until the LMSs forget them."""

    # the "kid" of the JWS header and of /lti/jwks/ (the JWK thumbprint)
    kid = models.CharField(_("key id"), max_length=100, unique=True)
    # PKCS#8 PEM; never leaves the server
    private_key_pem = models.TextField(_("private key (PEM)"))
    # the public JWK as /lti/jwks/ publishes it
    public_jwk = models.JSONField(_("public JWK"))
    # True for the one key that signs new messages
    signing = models.BooleanField(_("signs new messages"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("LTI tool key")
        verbose_name_plural = _("LTI tool keys")
        constraints = [
            models.UniqueConstraint(
                fields=["signing"], condition=Q(signing=True), name="lti_one_signing_key"
            )
        ]

    def __str__(self) -> str:
        return self.kid


class Registration(models.Model):
    """One LMS (a Moodle or Canvas site) that may launch the platform."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manual")
        DYNAMIC = "dynamic", _("Dynamic registration")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the LMS to register")  # invitation not used yet
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")  # launches and passbacks refused

    # what the admin calls it: "Baku State University Moodle"
    name = models.CharField(_("name"), max_length=200)
    # where the cohorts of its courses are made; its users become students/teachers there
    institution = models.ForeignKey(
        "people.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="lti_registrations",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    source = models.CharField(
        _("registered by"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    # the LMS's "iss": the platform id, e.g. https://moodle.example.edu
    issuer = models.CharField(_("issuer"), max_length=255, blank=True)
    # the id the LMS gave the platform (the "aud" of its messages)
    client_id = models.CharField(_("client id"), max_length=255, blank=True)
    # deployments of the tool in the LMS that may launch it
    deployment_ids = models.JSONField(_("deployment ids"), default=list, blank=True)
    # a launch from another deployment of this (signed, registered) LMS is accepted and its
    # id added above; off: only the listed deployments launch
    accept_new_deployments = models.BooleanField(
        _("accept new deployments"),
        default=True,
        help_text=_("A signed launch from another deployment of this LMS is accepted."),
    )
    # the LMS's OIDC authorization endpoint, where /lti/login/ sends the browser
    auth_login_url = models.URLField(_("authentication request URL"), max_length=500, blank=True)
    # the LMS's OAuth 2 token endpoint for AGS and NRPS
    auth_token_url = models.URLField(_("access token URL"), max_length=500, blank=True)
    # the "aud" of our token requests when it is not the token URL (some LMSs)
    auth_audience = models.CharField(_("token audience"), max_length=500, blank=True)
    # the LMS's public keys (JWKS), which sign its launches
    keyset_url = models.URLField(_("public keyset URL"), max_length=500, blank=True)
    # origins allowed to show the platform's LTI pages in a frame (CSP frame-ancestors)
    frame_origins = models.JSONField(
        _("origins that may frame the tool"),
        default=list,
        blank=True,
        help_text=_("For example https://moodle.example.edu; the issuer's origin is added."),
    )
    # the LMS's name and product as it told in dynamic registration
    platform_name = models.CharField(_("LMS product"), max_length=200, blank=True)
    # SHA-256 of the one-time dynamic registration invitation (the token is in the URL)
    invite_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("LTI registration")
        verbose_name_plural = _("LTI registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "client_id"],
                condition=~Q(client_id=""),
                name="lti_registration_unique_client",
            ),
            models.UniqueConstraint(
                fields=["invite_digest"],
                condition=~Q(invite_digest=""),
                name="lti_registration_unique_invite",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UsedNonce(models.Model):
    """A launch's nonce, once used: the same id_token posted again is a replay."""

    issuer = models.CharField(max_length=255)
    nonce = models.CharField(max_length=255)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "nonce"], name="lti_nonce_used_once")
        ]

    def __str__(self) -> str:
        return self.nonce


class LtiUser(models.Model):
    """A person of an LMS: its user id there (`sub`, stable per issuer) and their account
    here, made at their first launch. Never matched by e-mail."""

    issuer = models.CharField(_("issuer"), max_length=255)
    # the LMS's user id ("sub" of the launch, "user_id" in NRPS)
    sub = models.CharField(_("LMS user id"), max_length=255)
    # the registration that first brought them
    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="lti_links",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("LTI user")
        verbose_name_plural = _("LTI users")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "sub"], name="lti_user_unique_sub")
        ]

    def __str__(self) -> str:
        return f"{self.sub} @ {self.issuer}"


class Context(models.Model):
    """A course of the LMS; its learners and instructors form one cohort here."""

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="contexts",
    )
    # the LMS's course id ("context" claim "id")
    context_id = models.CharField(_("LMS course id"), max_length=255)
    title = models.CharField(_("title"), max_length=255, blank=True)
    cohort = models.ForeignKey(
        "people.Cohort", verbose_name=_("cohort"), on_delete=models.PROTECT, related_name="+"
    )
    # the roster (NRPS "context_memberships_url") of the latest launch that offered it
    memberships_url = models.URLField(_("roster URL"), max_length=500, blank=True)
    roster_synced_at = models.DateTimeField(_("roster synced"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("LMS course")
        verbose_name_plural = _("LMS courses")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "context_id"], name="lti_context_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.context_id


class ResourceLink(models.Model):
    """A link in an LMS course that opens one exercise or one course of the platform."""

    class Kind(models.TextChoices):
        EXERCISE = "exercise", _("Exercise")
        COURSE = "course", _("Course")

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="links"
    )
    context = models.ForeignKey(
        Context, verbose_name=_("LMS course"), on_delete=models.CASCADE, related_name="links"
    )
    # the LMS's id of the link ("resource_link" claim "id")
    resource_link_id = models.CharField(_("LMS link id"), max_length=255)
    title = models.CharField(_("title"), max_length=255, blank=True)
    kind = models.CharField(_("opens"), max_length=10, choices=Kind.choices)
    # what it opens; None with kind set: it was deleted from the platform
    exercise = models.ForeignKey(
        "grading.Exercise",
        verbose_name=_("exercise"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # the id of what it opens, kept when that is deleted (to say which one went)
    target_id = models.PositiveIntegerField(_("opens no."), null=True, blank=True)
    # AGS: the LMS's grade column of this link, where scores go ("lineitem")
    line_item_url = models.URLField(_("line item URL"), max_length=500, blank=True)
    # AGS scopes the LMS granted with the latest launch
    ags_scopes = models.JSONField(_("grade service scopes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("LMS link")
        verbose_name_plural = _("LMS links")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "resource_link_id"], name="lti_link_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class Launch(models.Model):
    """One launch the platform received, taken or refused (and why), for the admin."""

    class Status(models.TextChoices):
        OK = "ok", _("Opened")
        REFUSED = "refused", _("Refused")

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="launches",
    )  # None: the issuer is not registered
    issuer = models.CharField(_("issuer"), max_length=255, blank=True)
    message_type = models.CharField(_("message"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)  # why it was refused
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    link = models.ForeignKey(
        ResourceLink,
        verbose_name=_("LMS link"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # where the launch leads (the exercise or course page), for "open in a new window"
    target_url = models.CharField(max_length=500, blank=True)
    # the one-time "open in a new window" was used
    handoff_used_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("LTI launch")
        verbose_name_plural = _("LTI launches")

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.at:%Y-%m-%d %H:%M}"


class GradePassback(models.Model):
    """The score of one student for one LMS link: what to send (the best result of the
    exercise), and how sending it went. One row per link and student, updated in place:
    a regrade replaces the score and sends again."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("No score yet")  # launched, nothing graded
        PENDING = "pending", _("To send")  # a score to send, due at next_attempt_at
        SENT = "sent", _("Sent")
        REFUSED = "refused", _("Refused by the LMS")  # 4xx: kept with its reason
        FAILED = "failed", _("Gave up")  # still failing after LTI_PASSBACK_MAX_ATTEMPTS

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="passbacks",
    )
    link = models.ForeignKey(
        ResourceLink, verbose_name=_("LMS link"), on_delete=models.CASCADE, related_name="passbacks"
    )
    exercise = models.ForeignKey(
        "grading.Exercise", verbose_name=_("exercise"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # the LMS's id of the student (AGS "userId")
    lti_user = models.ForeignKey(
        LtiUser, verbose_name=_("LMS user"), on_delete=models.CASCADE, related_name="+"
    )
    score_given = models.FloatField(_("score"), null=True, blank=True)
    score_maximum = models.FloatField(_("maximum"), null=True, blank=True)
    # AGS "gradingProgress": FullyGraded, or PendingManual while a teacher has cells to grade
    grading_progress = models.CharField(_("grading"), max_length=20, blank=True)
    # when the score changed (the AGS "timestamp": an LMS keeps the latest)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.WAITING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)  # sends of this score
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("LTI grade passback")
        verbose_name_plural = _("LTI grade passbacks")
        constraints = [models.UniqueConstraint(fields=["link", "user"], name="lti_passback_unique")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["exercise", "user"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.link}"
