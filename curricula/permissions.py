"""Who may change competence frameworks in the Wagtail admin.

Django model permissions decide (add / change / delete competence framework), given to
the "Framework editors" group or to a user directly. On top of them, the frameworks the
platform ships (DigComp, UNESCO) can never be deleted.

The group is made after every migrate (`ensure_framework_editors_group`, wired in
apps.py). Platform staff put ministry analysts (or anyone else trusted with the
frameworks) in it; membership of a role alone does not give this right.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from wagtail.permission_policies import ModelPermissionPolicy

from .models import CompetenceFramework

FRAMEWORK_EDITORS_GROUP = "Framework editors"
FRAMEWORK_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("curricula", "add_competenceframework"),
    ("curricula", "change_competenceframework"),
    ("curricula", "delete_competenceframework"),
    ("curricula", "view_competenceframework"),
]


class CompetenceFrameworkPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and instance.is_shipped:
            return False
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        if set(actions) == {"delete"}:
            instances = instances.exclude(kind__in=CompetenceFramework.SHIPPED_KINDS)
        return instances


competence_framework_policy = CompetenceFrameworkPermissionPolicy(CompetenceFramework)


def ensure_framework_editors_group(**kwargs) -> None:
    """The Framework editors group with its permissions (idempotent)."""
    # post_migrate reaches this app before django.contrib.auth has made its permissions
    create_permissions(apps.get_app_config("curricula"), verbosity=0)
    permissions = [
        Permission.objects.filter(content_type__app_label=app, codename=codename).first()
        for app, codename in FRAMEWORK_PERMISSIONS
    ]
    if None in permissions:
        return  # a partial migrate; the next full migrate completes it
    group, _ = Group.objects.get_or_create(name=FRAMEWORK_EDITORS_GROUP)
    group.permissions.add(*permissions)
