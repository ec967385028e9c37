"""Writes about people and organisations. Views, commands and tasks call these."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from .models import Cohort, Institution, Membership, Role, User

# Wagtail admin groups that mirror platform roles (created by cms' data migration).
TEACHERS_GROUP = "Teachers"
CURRICULUM_LEADS_GROUP = "Curriculum leads"


@transaction.atomic
def membership_create(
    *, user: User, role: str, cohort: Cohort | None = None, institution: Institution | None = None
) -> Membership:
    """Give a user a role; idempotent. Teachers also get the Wagtail admin via their group."""
    if (cohort is None) == (institution is None):
        raise ValueError("Give exactly one of cohort or institution.")
    membership, _created = Membership.objects.get_or_create(
        user=user, role=role, cohort=cohort, institution=institution
    )
    if role == Role.TEACHER:
        group = Group.objects.filter(name=TEACHERS_GROUP).first()
        if group is not None:
            user.groups.add(group)
    user.__dict__.pop("_roles_cache", None)
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Remove a role. Records the person created (submissions, progress) are kept."""
    user = membership.user
    membership.delete()
    if (
        membership.role == Role.TEACHER
        and not Membership.objects.filter(user=user, role=Role.TEACHER).exists()
    ):
        user.groups.remove(*Group.objects.filter(name=TEACHERS_GROUP))
