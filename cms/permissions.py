"""Wagtail groups that mirror platform roles, and their rights on the page tree, made after
every migrate (idempotent; wired in apps.py).

- Teachers: the Wagtail admin, and no right on the page tree as a group: each teacher's
  rights are their own courses and their tracks' curricula, computed per teacher by the
  courses app's page permission policy (courses/permissions.py). Their drafts go through
  moderation before publication (courses/moderation.py).
- Curriculum leads: add, edit and publish pages under the home page; they approve what
  teachers submit. They have the same page permissions on every translation of the home
  page as on the original.
- Both may submit translations (wagtail.contrib.simple_translation) of what they may edit.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from people.services import CURRICULUM_LEADS_GROUP, TEACHERS_GROUP

from .models import HomePage

# Rights on the whole tree (from the home pages down); teachers have none (see above).
PAGE_PERMISSIONS = {
    TEACHERS_GROUP: [],
    CURRICULUM_LEADS_GROUP: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
# What earlier versions gave the Teachers group on the home pages: removed after migrate.
FORMER_TEACHER_PAGE_PERMISSIONS = ["add_page", "change_page", "lock_page", "unlock_page"]
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


def _remove_tree_wide_teacher_rights(group: Group) -> None:
    """Teachers once edited every page below the home pages; that right goes."""
    GroupPagePermission.objects.filter(
        group=group,
        page__in=HomePage.objects.filter(depth=2).values("pk"),
        permission__content_type__app_label="wagtailcore",
        permission__codename__in=FORMER_TEACHER_PAGE_PERMISSIONS,
    ).delete()


def ensure_translation_rights(**kwargs) -> None:
    """The editor groups may submit translations; curriculum leads edit every translation of
    the home page as they edit the original (run after `ensure_home_translations`)."""
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
        if name == TEACHERS_GROUP:
            _remove_tree_wide_teacher_rights(group)
        permissions = Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=codenames
        )
        for home_id in homes:
            for permission in permissions:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=Page.objects.get(pk=home_id), permission=permission
                )
