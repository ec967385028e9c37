"""Wagtail groups that mirror platform roles, and their rights on the page tree, made after
every migrate (idempotent; wired in apps.py).

- Teachers: the Wagtail admin; add and edit pages under the home page (their drafts go
  through moderation before publication: courses/moderation.py).
- Curriculum leads: the same, plus publish; they approve what teachers submit.
- Both may submit translations (wagtail.contrib.simple_translation), and have the same
  page permissions on every translation of the home page as on the original.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from people.services import CURRICULUM_LEADS_GROUP, TEACHERS_GROUP

from .models import HomePage

PAGE_PERMISSIONS = {
    TEACHERS_GROUP: ["add_page", "change_page", "lock_page", "unlock_page"],
    CURRICULUM_LEADS_GROUP: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
COLLECTION_PERMISSIONS = ["add_image", "choose_image", "add_document", "choose_document"]


def ensure_editor_groups(**kwargs) -> None:
    """Teachers and Curriculum leads, with the admin, their rights on the home page and
    on the root collection of images and documents."""
    access_admin = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    home = HomePage.objects.filter(depth=2).first()
    root_collection = Collection.get_first_root_node()
    if access_admin is None or home is None:
        return  # a partial migrate (tests of a single app); the next full migrate completes it
    for name, codenames in PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin)
        for codename in codenames:
            permission = Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            )
            GroupPagePermission.objects.get_or_create(
                group=group, page=Page.objects.get(pk=home.pk), permission=permission
            )
        if root_collection is not None:
            for codename in COLLECTION_PERMISSIONS:
                permission = Permission.objects.filter(codename=codename).first()
                if permission:
                    GroupCollectionPermission.objects.get_or_create(
                        group=group, collection=root_collection, permission=permission
                    )


def ensure_translation_rights(**kwargs) -> None:
    """The editor groups may submit translations and edit every translation of the home
    page as they edit the original (run after `ensure_home_translations`)."""
    # post_migrate reaches this app before simple_translation has made its permission
    if apps.is_installed("wagtail.contrib.simple_translation"):
        create_permissions(apps.get_app_config("simple_translation"), verbosity=0)
    submit = Permission.objects.filter(
        content_type__app_label="simple_translation", codename="submit_translation"
    ).first()
    homes = list(HomePage.objects.filter(depth=2).values_list("pk", flat=True))
    for name, codenames in PAGE_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        if submit is not None:
            group.permissions.add(submit)
        permissions = Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=codenames
        )
        for home_id in homes:
            for permission in permissions:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=Page.objects.get(pk=home_id), permission=permission
                )
