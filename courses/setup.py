"""Moderation and translation as data, set up after every migrate (idempotent).

- The locales of the platform languages (az, ru, en) exist, so pages can be copied into
  each of them with Wagtail's "Translate" action (wagtail.contrib.simple_translation).
- "Course review": a Wagtail workflow with one group-approval task for the Curriculum
  leads group, assigned to every curricula index page (one per locale) and so to every
  curriculum, course and lesson below it. Teachers cannot publish (cms/setup.py gives
  them no publish permission): they submit, a curriculum lead approves, which publishes.
- Teachers and curriculum leads may submit translations, and have the same page
  permissions on every translation of the home page as on the original.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, Permission

from people.services import CURRICULUM_LEADS_GROUP, TEACHERS_GROUP

WORKFLOW_NAME = "Course review"
TASK_NAME = "Curriculum lead approval"


def ensure_locales() -> None:
    from wagtail.models import Locale

    for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        Locale.objects.get_or_create(language_code=code)


def course_review_workflow():
    """The workflow (created when missing), or None before the groups exist."""
    from wagtail.models import GroupApprovalTask, Workflow, WorkflowTask

    leads = Group.objects.filter(name=CURRICULUM_LEADS_GROUP).first()
    if leads is None:
        return None
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, active=True)
    task.groups.add(leads)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    return workflow


def assign_course_review(page) -> None:
    """Put a curricula index page (and everything below it) under course review."""
    from wagtail.models import WorkflowPage

    workflow = course_review_workflow()
    if workflow is not None:
        WorkflowPage.objects.get_or_create(page_id=page.pk, defaults={"workflow": workflow})


def ensure_translation_rights() -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from wagtail.models import GroupPagePermission, Page

    from cms.models import HomePage
    from cms.setup import PAGE_PERMISSIONS

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


def setup_moderation_and_translation(**kwargs) -> None:
    from curricula.models import CurriculumIndexPage

    ensure_locales()
    if not Group.objects.filter(name__in=[TEACHERS_GROUP, CURRICULUM_LEADS_GROUP]).exists():
        return  # a partial migrate; the next full migrate completes it
    course_review_workflow()
    for index in CurriculumIndexPage.objects.all():
        assign_course_review(index)
    ensure_translation_rights()
