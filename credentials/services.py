"""Writes of the credentials app: issuing a course's credential, rotating the issuer key,
revoking a credential. Each is one transaction; the public key set and status list are
read from what these write (selectors.py)."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cms.translation import canonical_page
from courses.models import CourseAssignment, CoursePage, CourseProgress
from curricula.models import CurriculumCompetenceTarget, ProficiencyLevel
from people.models import Membership, Role, User

from . import document, jose
from .models import Credential, IssuerKey, StatusList

log = logging.getLogger(__name__)


class RevocationRefused(Exception):
    pass


def issuer_url() -> str:
    return settings.CREDENTIALS_ISSUER_URL.rstrip("/")


def status_list_url(status_list_id: int) -> str:
    return issuer_url() + reverse("credentials-status-list", args=[status_list_id])


def holder_id(student_id: int) -> str:
    """The holder's id in their credentials: stable for a student, and saying nothing
    about them (no name, no e-mail, no database id)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{issuer_url()}/people/{student_id}')}"


# ---------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------
def _key_create(algorithm: str) -> IssuerKey:
    new = jose.generate_key(algorithm)
    return IssuerKey.objects.create(
        kid=new.kid,
        algorithm=new.algorithm,
        private_key_pem=new.private_key_pem,
        public_jwk=new.public_jwk,
    )


def signing_key() -> IssuerKey:
    """The key that signs now; the first one is made on first use."""
    key = IssuerKey.objects.filter(signing=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _key_create(settings.CREDENTIALS_KEY_ALGORITHM)
    except IntegrityError:  # another process made the first key at the same moment
        return IssuerKey.objects.get(signing=True)


@transaction.atomic
def key_rotate(*, algorithm: str | None = None) -> IssuerKey:
    """A new signing key; the one before retires (it stays in the JWK Set, so every
    credential it signed still verifies)."""
    IssuerKey.objects.select_for_update().filter(signing=True).update(
        signing=False, retired_at=timezone.now()
    )
    key = _key_create(algorithm or settings.CREDENTIALS_KEY_ALGORITHM)
    log.info("credentials: new issuer key %s (%s)", key.kid, key.algorithm)
    return key


# ---------------------------------------------------------------------------------------
# Issuing
# ---------------------------------------------------------------------------------------
def credential_issue(*, student_id: int, course_id: int) -> Credential | None:
    """The student's credential for a course they completed: issued once; later calls
    (the task running twice, the demo loading again) return the one issued. None while
    the course is not completed."""
    existing = Credential.objects.filter(student_id=student_id, course_id=course_id).first()
    if existing is not None:
        return existing
    completed = CourseProgress.objects.filter(
        student_id=student_id, course_id=course_id, completed_at__isnull=False
    ).exists()
    if not completed:
        return None
    student = User.objects.get(pk=student_id)
    course = canonical_page(CoursePage.objects.get(pk=course_id))
    try:
        with transaction.atomic():
            return _issue(student=student, course=course)
    except IntegrityError:  # issued by a concurrent run: one credential per student and course
        return Credential.objects.get(student_id=student_id, course_id=course.pk)


def _issue(*, student: User, course: CoursePage) -> Credential:
    key = signing_key()
    status_list, index = _status_entry_allocate()
    issued_at = timezone.now().replace(microsecond=0)  # nbf has whole seconds
    credential = Credential(
        id=uuid.uuid4(),
        student=student,
        course=course,
        issued_at=issued_at,
        key=key,
        achievement=achievement_snapshot(student=student, course=course),
        status_list=status_list,
        status_index=index,
    )
    claims = document.open_badge_credential(
        credential_id=credential.urn,
        issuer_id=issuer_url(),
        issuer_name=settings.CREDENTIALS_ISSUER_NAME,
        issued_at=issued_at,
        subject_id=holder_id(student.pk),
        achievement=credential.achievement,
        status_entry=document.status_entry(list_url=status_list_url(status_list.pk), index=index),
    )
    credential.jws = jose.sign(
        claims=claims, kid=key.kid, algorithm=key.algorithm, private_key_pem=key.private_key_pem
    )
    credential.save(force_insert=True)
    log.info(
        "credentials: issued %s to student %s for course %s", credential.pk, student.pk, course.pk
    )
    return credential


def _status_entry_allocate() -> tuple[StatusList, int]:
    """A random free index of the newest status list (random, so that an index says
    nothing about when a credential was issued); a new list when half of it is used."""
    status_list = StatusList.objects.select_for_update().order_by("-pk").first()
    if status_list is None or (
        Credential.objects.filter(status_list=status_list).count() * 2 >= status_list.size
    ):
        status_list = StatusList.objects.create()
    used = set(
        Credential.objects.filter(status_list=status_list).values_list("status_index", flat=True)
    )
    while True:
        index = secrets.randbelow(status_list.size)
        if index not in used:
            return status_list, index


def achievement_snapshot(*, student: User, course: CoursePage) -> dict:
    """What the credential says was achieved, in the course's language of instruction
    (competence and level names in English, as the frameworks publish them)."""
    base = issuer_url()
    curriculum = course.get_parent().specific
    targets = {
        t.competence_id: t.level.number
        for t in CurriculumCompetenceTarget.objects.filter(page=curriculum).select_related("level")
    }
    competences = []
    for competence in course.competences.all():
        framework = competence.area.framework
        levels = ProficiencyLevel.objects.filter(framework=framework).order_by("number")
        competences.append(
            {
                "framework": framework.slug,
                "framework_name": framework.name_en,
                "code": competence.code,
                "name": competence.name_en,
                "url": f"{base}/api/v1/frameworks/{framework.slug}/#{competence.code}",
                "levels": [{"number": lv.number, "name": lv.name_en} for lv in levels],
                "target_level": targets.get(competence.pk),
            }
        )
    institution = _institution_of(student=student, course=course)
    url = course.url or ""
    with translation.override(course.language):
        criteria = gettext(
            "Completed every lesson of the course “%(course)s”, with its quizzes and "
            "exercises, on the platform."
        ) % {"course": course.title}
    return {
        "course_id": course.pk,
        "url": f"{base}{url}" if url.startswith("/") else url or f"{base}/courses/{course.pk}",
        "name": course.title,
        "description": course.summary,
        "criteria": criteria,
        "language": course.language,
        "track": getattr(curriculum, "track", ""),
        "institution": institution,
        "holder": student.display_name,
        "competences": competences,
    }


def _institution_of(*, student: User, course: CoursePage) -> dict | None:
    """The institution where the student took the course: the cohort it was assigned to,
    else any cohort of theirs."""
    memberships = Membership.objects.filter(user=student, role=Role.STUDENT).select_related(
        "cohort__institution"
    )
    assigned = set(
        CourseAssignment.objects.filter(course=course).values_list("cohort_id", flat=True)
    )
    chosen = next((m for m in memberships if m.cohort_id in assigned), None) or next(
        iter(memberships), None
    )
    if chosen is None:
        return None
    institution = chosen.cohort.institution
    return {"code": institution.code, "name": institution.name_en}


# ---------------------------------------------------------------------------------------
# Revocation
# ---------------------------------------------------------------------------------------
@transaction.atomic
def credential_revoke(*, credential_id, reason: str, when: datetime | None = None) -> Credential:
    """Revoke a credential: its status list bit is set from now on. Revoking again keeps
    the first date and reason."""
    reason = (reason or "").strip()
    if not reason:
        raise RevocationRefused(gettext("Say why the credential is revoked."))
    credential = Credential.objects.select_for_update().get(pk=credential_id)
    if credential.revoked_at is None:
        credential.revoked_at = when or timezone.now()
        credential.revocation_reason = reason[:300]
        credential.save(update_fields=["revoked_at", "revocation_reason"])
        log.info("credentials: revoked %s", credential.pk)
    return credential
