"""The Wagtail group whose members edit competence frameworks, created after every migrate.

Platform staff put ministry analysts (or anyone else trusted with the frameworks) in it;
membership of a role alone does not give this right.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from .permissions import FRAMEWORK_EDITORS_GROUP

FRAMEWORK_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("curricula", "add_competenceframework"),
    ("curricula", "change_competenceframework"),
    ("curricula", "delete_competenceframework"),
    ("curricula", "view_competenceframework"),
]


def ensure_framework_editors_group(**kwargs) -> None:
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
