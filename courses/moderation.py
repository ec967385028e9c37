"""Course review: a Wagtail workflow with one group-approval task for the Curriculum leads
group, assigned to every curricula index page (one per locale) and so to every
curriculum, course and lesson below it. Teachers cannot publish (cms/permissions.py gives
them no publish permission): they submit, a curriculum lead approves, which publishes.

Made after every migrate and for every new curricula index (idempotent; wired in apps.py
and receivers.py).
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage, WorkflowTask

from curricula.models import CurriculumIndexPage
from people.services import CURRICULUM_LEADS_GROUP, TEACHERS_GROUP

WORKFLOW_NAME = "Course review"
TASK_NAME = "Curriculum lead approval"


def ensure_course_review_workflow() -> Workflow | None:
    """The workflow (created when missing), or None before the groups exist."""
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


def assign_course_review(page: Page) -> None:
    """Put a curricula index page (and everything below it) under course review."""
    workflow = ensure_course_review_workflow()
    if workflow is not None:
        WorkflowPage.objects.get_or_create(page_id=page.pk, defaults={"workflow": workflow})


def ensure_course_review(**kwargs) -> None:
    """The workflow exists and covers every curricula index page (a post_migrate receiver)."""
    if not Group.objects.filter(name__in=[TEACHERS_GROUP, CURRICULUM_LEADS_GROUP]).exists():
        return  # a partial migrate; the next full migrate completes it
    ensure_course_review_workflow()
    for index in CurriculumIndexPage.objects.all():
        assign_course_review(index)
