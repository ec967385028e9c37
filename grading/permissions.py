"""Teachers and curriculum leads author notebook exercises in the Wagtail admin: after
every migrate (post_migrate, idempotent) their groups get the model permissions for
exercises.

They may add, change and view exercises; which ones is narrowed to the exercises they
manage (grading.access.managed_exercises) by every view of the snippet viewset and its
chooser (wagtail_hooks.py). Deleting an exercise deletes every student's submissions, so
it is left to platform staff.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from people.services import CURRICULUM_LEADS_GROUP, TEACHERS_GROUP

EXERCISE_PERMISSIONS = ["add_exercise", "change_exercise", "view_exercise"]


def grant_teachers_exercise_permissions(**kwargs) -> None:
    """Give the teachers' and curriculum leads' groups EXERCISE_PERMISSIONS."""
    # post_migrate may reach this app before django.contrib.auth has made its permissions
    create_permissions(apps.get_app_config("grading"), verbosity=0)
    permissions = list(
        Permission.objects.filter(
            content_type__app_label="grading", codename__in=EXERCISE_PERMISSIONS
        )
    )
    if len(permissions) != len(EXERCISE_PERMISSIONS):
        return  # a partial migrate; the next full migrate completes it
    for name in (TEACHERS_GROUP, CURRICULUM_LEADS_GROUP):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)
