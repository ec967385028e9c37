"""Reads of the credentials app: the public key set, the signed status list, a student's
credentials, and the verdict on a credential (stored or handed in as a file).

A verdict is reached the way an outside verifier reaches it: the signature against the
public JWK Set, the JWT claims against the credential, the issuer, then the status list.
What a page shows of a credential comes from the verified payload, never from the
columns beside it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import document, jose
from .models import Credential, IssuerKey, StatusList
from .services import issuer_url, signing_key, status_list_url

VALID, REVOKED, TAMPERED, INVALID = "valid", "revoked", "tampered", "invalid"


def jwk_set() -> dict:
    """Every issuer key's public JWK, the signing one first; retired keys stay."""
    keys = IssuerKey.objects.order_by("-signing", "-created_at", "-pk")
    return jose.key_set([key.public_jwk for key in keys])


def status_list_jws(status_list: StatusList) -> str:
    """The list as a signed BitstringStatusListCredential, its bits read from the
    credentials revoked now."""
    revoked = Credential.objects.filter(
        status_list=status_list, revoked_at__isnull=False
    ).values_list("status_index", flat=True)
    url = status_list_url(status_list.pk)
    claims = document.status_list_credential(
        list_url=url,
        issuer_id=issuer_url(),
        issuer_name=settings.CREDENTIALS_ISSUER_NAME,
        issued_at=timezone.now(),
        encoded_list=jose.encode_bits(status_list.size, revoked),
    )
    key = signing_key()
    return jose.sign(
        claims=claims, kid=key.kid, algorithm=key.algorithm, private_key_pem=key.private_key_pem
    )


def student_credentials(*, user) -> list[Credential]:
    """The student's credentials, for their dashboard: what it shows (the achievement's
    name, the dates), not the signed credential, its course or its key."""
    return list(
        Credential.objects.filter(student=user).only(
            "pk", "student_id", "achievement", "issued_at", "revoked_at"
        )
    )


# ---------------------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Competence:
    name: str
    level: str  # "" when the course names no level


@dataclass(frozen=True)
class Shown:
    """What a verified credential says, for a page."""

    holder: str
    course: str
    description: str
    issuer: str
    issued_at: datetime | None
    institution: str
    track: str
    competences: list[Competence] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    status: str  # valid, revoked, tampered or invalid
    reason: str  # why, in the reader's language
    shown: Shown | None = None  # only for a signature that verified
    revoked_at: datetime | None = None
    revocation_reason: str = ""
    credential: Credential | None = None
    kid: str = ""


def verify_stored(credential: Credential, key_set: dict | None = None) -> Verdict:
    """The verdict on a credential as the platform keeps it (`key_set`: the JWK Set, read
    once for a list of credentials)."""
    verdict = verify_token(credential.jws, key_set)
    if verdict.status in (VALID, REVOKED) and verdict.credential != credential:
        return Verdict(
            TAMPERED,
            _("The signed credential kept here belongs to another credential."),
            kid=verdict.kid,
        )
    return verdict


def verify_token(token: str, key_set: dict | None = None) -> Verdict:
    """The verdict on a compact JWS anyone hands in (pasted or uploaded)."""
    try:
        header, payload = jose.verify(token, key_set or jwk_set())
    except jose.Unverified as refused:
        return _refused(refused, token)
    issuer = payload.get("iss")
    if issuer != issuer_url():
        return Verdict(
            INVALID,
            _("It was issued by %(issuer)s, not by this platform.") % {"issuer": issuer},
        )
    shown = _shown(payload)
    credential = Credential.objects.filter(pk=_uuid_of(payload.get("jti", ""))).first()
    if credential is None:
        return Verdict(
            INVALID,
            _("The signature is this platform's, but the platform has no record of it."),
            shown=shown,
            kid=header.get("kid", ""),
        )
    if credential.revoked_at is not None:
        return Verdict(
            REVOKED,
            _("The issuer revoked this credential."),
            shown=shown,
            revoked_at=credential.revoked_at,
            revocation_reason=credential.revocation_reason,
            credential=credential,
            kid=header.get("kid", ""),
        )
    return Verdict(
        VALID,
        _(
            "The signature matches the issuer's published key, the credential is unchanged "
            "since it was issued, and it is not revoked."
        ),
        shown=shown,
        credential=credential,
        kid=header.get("kid", ""),
    )


def _refused(refused: jose.Unverified, token: str) -> Verdict:
    if refused.code == "unreadable":
        return Verdict(
            INVALID, _("This is not a signed credential (%(detail)s).") % {"detail": refused.detail}
        )
    reasons = {
        "bad_signature": _(
            "The signature does not match the content: the credential was changed after it "
            "was issued."
        ),
        "unknown_key": _(
            "It names a signing key that this platform never published: it was not signed "
            "here, or its header was changed."
        ),
        "inconsistent": _(
            "The signature is valid, but the credential contradicts its own claims (%(detail)s)."
        )
        % {"detail": refused.detail},
    }
    return Verdict(TAMPERED, reasons[refused.code])


def _uuid_of(jti: str) -> str | None:
    value = jti.removeprefix("urn:uuid:") if isinstance(jti, str) else ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _shown(payload: dict) -> Shown:
    subject = payload.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    holder = next(
        (
            i.get("identityHash", "")
            for i in subject.get("identifier") or []
            if i.get("identityType") == "name" and not i.get("hashed")
        ),
        "",
    )
    levels = {}
    for description in achievement.get("resultDescription") or []:
        for level in description.get("rubricCriterionLevel") or []:
            levels[level.get("id")] = level.get("name", "")
    achieved = {
        r.get("resultDescription"): levels.get(r.get("achievedLevel"), "")
        for r in subject.get("result") or []
    }
    competences = [
        Competence(d.get("name", ""), achieved.get(d.get("id"), ""))
        for d in achievement.get("resultDescription") or []
    ]
    valid_from = jose.parse_time(payload.get("validFrom"))
    return Shown(
        holder=holder,
        course=achievement.get("name", ""),
        description=achievement.get("description", ""),
        issuer=(payload.get("issuer") or {}).get("name", ""),
        issued_at=valid_from,
        institution=(subject.get("source") or {}).get("name", ""),
        track=", ".join(achievement.get("tag") or []),
        competences=competences,
    )


# ---------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------
def verification_url(credential: Credential, language: str | None = None) -> str:
    """The public verification page's absolute address, in `language` (default: the
    active one)."""
    with translation.override(language or translation.get_language() or "en"):
        path = reverse("credentials:verify", args=[credential.pk])
    return issuer_url() + path


def jwks_url() -> str:
    return issuer_url() + reverse("credentials-jwks")
