"""The roster of an LMS course into its cohort (LTI Names and Role Provisioning Services).

Queued when an instructor launches from a course whose LMS offers the roster, and from
the admin ("sync roster"). Active learners become students of the cohort (so they are
enrolled in the courses assigned to it before their first launch, and their teachers see
them); learners the LMS reports inactive or deleted leave it. Accounts are the same ones a
launch finds: by LMS user id, never by e-mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from people.models import Membership, Role

from .models import Context, Registration
from .services import lti_user_provision, role_of
from .tool import LmsSession, registration_for

log = logging.getLogger("lti")


@dataclass
class RosterReport:
    added: int = 0
    removed: int = 0


def roster_fetch(*, context: Context) -> list[dict]:
    """Every member of the LMS course (all pages), as the LMS lists them."""
    connector = ServiceConnector(registration_for(context.registration), LmsSession())
    service = NamesRolesProvisioningService(
        connector, {"context_memberships_url": context.memberships_url}
    )
    return service.get_members()


def roster_sync(*, context_id: int) -> RosterReport:
    """Fetch, then apply in one transaction. Idempotent: run again, nothing changes."""
    report = RosterReport()
    context = (
        Context.objects.select_related("registration", "cohort")
        .filter(pk=context_id, registration__status=Registration.Status.ACTIVE)
        .exclude(memberships_url="")
        .first()
    )
    if context is None:
        return report
    members = roster_fetch(context=context)  # raises when the LMS refuses: nothing changes
    with transaction.atomic():
        for member in members:
            sub = str(member.get("user_id") or "")
            # NRPS roles are short ("Learner") or full URIs: pylti1p3's checks read both
            if (
                not sub
                or role_of(
                    {"https://purl.imsglobal.org/spec/lti/claim/roles": member.get("roles") or []}
                )
                != Role.STUDENT
            ):
                continue
            user, _link = lti_user_provision(
                registration=context.registration,
                issuer=context.registration.issuer,
                sub=sub,
                claims=member,
            )
            if member.get("status", "Active") == "Active":
                _membership, created = Membership.objects.get_or_create(
                    user=user, cohort=context.cohort, role=Role.STUDENT
                )
                report.added += created
            else:
                deleted, _ = Membership.objects.filter(
                    user=user, cohort=context.cohort, role=Role.STUDENT
                ).delete()
                report.removed += bool(deleted)
        context.roster_synced_at = timezone.now()
        context.save(update_fields=["roster_synced_at"])
    log.info(
        "LTI roster of context %s synced: %s added, %s removed",
        context.pk,
        report.added,
        report.removed,
    )
    return report
