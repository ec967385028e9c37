"""Issuer keys, issued credentials and revocation status lists.

A credential is the exact compact JWS that was issued: verification always reads the
signed bytes, never the columns beside them (which only help to list and search).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# W3C Bitstring Status List v1.0: at least 131,072 entries (16 KB uncompressed), so that a
# list does not tell which credential was revoked by its size ("herd privacy").
STATUS_LIST_MIN_BITS = 131_072


class IssuerKey(models.Model):
    """A key the platform signs credentials with. One key signs at a time; a retired key
    signs nothing new but stays in the public JWK Set, so its credentials still verify."""

    class Algorithm(models.TextChoices):
        ES256 = "ES256", "ES256 (P-256)"
        EDDSA = "EdDSA", "EdDSA (Ed25519)"

    # the key's JWK Thumbprint URI (RFC 9278, "urn:ietf:params:oauth:jwk-thumbprint:
    # sha-256:..."): the "kid" of the JWS header and of the JWK Set; OB 3.0 wants a URI, and
    # this one does not change when the platform moves to another address
    kid = models.CharField(_("key id"), max_length=120, unique=True)
    # the JWS "alg" this key signs with
    algorithm = models.CharField(_("algorithm"), max_length=8, choices=Algorithm.choices)
    # PKCS#8 PEM; never leaves the server (the JWK Set holds the public part only)
    private_key_pem = models.TextField(_("private key (PEM)"))
    # the public JWK as published, without "d"
    public_jwk = models.JSONField(_("public JWK"))
    # True for the one key that signs new credentials
    signing = models.BooleanField(_("signs new credentials"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # when a newer key took over; the key stays published
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("issuer key")
        verbose_name_plural = _("issuer keys")
        constraints = [
            models.UniqueConstraint(
                fields=["signing"], condition=Q(signing=True), name="issuerkey_one_signing"
            ),
            models.CheckConstraint(
                condition=Q(signing=True, retired_at__isnull=True)
                | Q(signing=False, retired_at__isnull=False),
                name="issuerkey_retired_iff_not_signing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kid[:12]}… ({self.algorithm})"


class StatusList(models.Model):
    """A revocation status list (W3C Bitstring Status List): one bit per credential, set
    when it is revoked. Served signed at its public URL; the bits are read from the
    credentials' revoked_at, so revoking is one write."""

    # the purpose written into the list and its entries
    purpose = models.CharField(_("purpose"), max_length=20, default="revocation")
    # number of entries (bits); at least STATUS_LIST_MIN_BITS
    size = models.PositiveIntegerField(_("size (bits)"), default=STATUS_LIST_MIN_BITS)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gte=STATUS_LIST_MIN_BITS), name="statuslist_min_size"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"


class Credential(models.Model):
    """An Open Badges 3.0 credential issued to a student for completing a course."""

    # in URLs and in the credential ("urn:uuid:<id>"): not guessable, not a count
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # the holder
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="credentials",
    )
    # the course (the original page of its translations); PROTECT: an issued credential
    # outlives nothing it names silently
    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        related_name="credentials",
    )
    # the credential's validFrom and the JWT's nbf
    issued_at = models.DateTimeField(_("issued"))
    # the exact compact JWS issued (what the holder downloads and anyone verifies)
    jws = models.TextField(_("signed credential (JWS)"))
    # the key that signed it
    key = models.ForeignKey(
        IssuerKey, verbose_name=_("key"), on_delete=models.PROTECT, related_name="credentials"
    )
    # what was awarded, as signed (course, competences with levels, track, institution,
    # holder's name): for listings; verification reads the JWS
    achievement = models.JSONField(_("achievement"))
    # its entry in a revocation status list
    status_list = models.ForeignKey(
        StatusList, verbose_name=_("status list"), on_delete=models.PROTECT, related_name="+"
    )
    status_index = models.PositiveIntegerField(_("status list index"))
    # set once, by credential_revoke; the status list bit follows
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"], name="credential_one_per_student_course"
            ),
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="credential_unique_status_entry"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revocation_reason="")
                | Q(revoked_at__isnull=False),
                name="credential_reason_only_when_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.achievement.get('name', '')} · {self.student}"

    @property
    def urn(self) -> str:
        return f"urn:uuid:{self.id}"
