"""What retires the cached roles (`access.ROLES`): a membership made, changed or removed,
a user's groups or direct permissions changed, a group's permissions changed, a user's
active or superuser flag changed (both are part of the key too); for the cohorts a teacher
teaches (`access.taught_cohort_ids`), also a cohort created, moved to another institution
or deleted."""

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save

from .access import ROLES
from .models import Cohort, Membership, User


def _roles_changed(**kwargs) -> None:
    ROLES.invalidate()


def _m2m_changed(action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        ROLES.invalidate()


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_roles_changed, sender=Membership, dispatch_uid=f"roles-{id(signal)}")
        signal.connect(_roles_changed, sender=Cohort, dispatch_uid=f"roles-cohort-{id(signal)}")
    post_delete.connect(_roles_changed, sender=Group, dispatch_uid="roles-group-deleted")
    for through in (
        User.groups.through,
        User.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"roles-{through}")
