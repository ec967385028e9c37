"""What a teacher may do in the Wagtail page tree: their courses, and their tracks' curricula.

Wagtail decides every page action (explore, add, edit, copy, move, delete, lock,
preview, history, revisions, translate, workflow) from one list: the user's page
permissions, each a (page, codename) that holds for that page and everything below it.
Django groups give them (GroupPagePermission). Curriculum leads hold theirs on the home
pages, as a group (cms/permissions.py). A teacher's cannot be a group's, because they
differ per teacher and change with every assignment, so this policy, registered for
every page type (apps.py), adds them per teacher when Wagtail asks:

- "add" on the curriculum pages of the tracks of the cohorts they teach: they create
  courses (and lessons) there, and edit what they created (Wagtail's ownership rule:
  "add" lets the page's owner edit it);
- "add", "change", "lock", "unlock" on the courses assigned to a cohort they teach and the
  courses they own (every translation of them): the course and its lessons.

Nothing else: not the home page, the curricula index, another track's curriculum,
another teacher's course or its lessons. Nobody's rights are stored per teacher, so
nothing goes stale when an assignment or a membership changes: the next request sees it.
Publishing stays with curriculum leads (the Course review workflow, moderation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db.models import Q
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from curricula.models import CurriculumPage
from people import access as people_access
from people.models import User

from .models import CourseAssignment, CoursePage

# What a teacher may do in their own courses, and in their tracks' curricula.
COURSE_PERMISSIONS = ["add_page", "change_page", "lock_page", "unlock_page"]
CURRICULUM_PERMISSIONS = ["add_page"]


@dataclass(frozen=True)
class ScopedPagePermission:
    """Quacks like a GroupPagePermission row (page, page_id, permission), for one teacher."""

    page: Page
    permission: Permission

    @property
    def page_id(self) -> int:
        return self.page.pk


def authoring_courses(user: User):
    """Course pages (every locale) the teacher authors: assigned to a cohort they teach,
    or created by them."""
    taught = CourseAssignment.objects.filter(
        cohort__in=people_access.taught_cohorts(user).values("pk")
    ).values("course_id")
    keys = CoursePage.objects.filter(Q(pk__in=taught) | Q(owner=user)).values("translation_key")
    return CoursePage.objects.filter(translation_key__in=keys)


def authoring_curricula(user: User):
    """Curriculum pages (every locale) of the tracks the teacher teaches."""
    return CurriculumPage.objects.filter(
        track__in=people_access.taught_cohorts(user).values("track")
    )


def teacher_page_permissions(user: User) -> list[ScopedPagePermission]:
    if not people_access.roles_of(user).teacher:
        return []
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="wagtailcore",
            codename__in={*COURSE_PERMISSIONS, *CURRICULUM_PERMISSIONS},
        )
    }
    scoped = []
    for pages, codenames in (
        (authoring_curricula(user), CURRICULUM_PERMISSIONS),
        (authoring_courses(user), COURSE_PERMISSIONS),
    ):
        for page in pages:
            scoped.extend(ScopedPagePermission(page, permissions[c]) for c in codenames)
    return scoped


class CourseAuthoringPagePolicy(PagePermissionPolicy):
    """Wagtail's page policy, plus each teacher's rights on their courses and curricula."""

    def get_all_permissions_for_user(self, user):
        granted = list(super().get_all_permissions_for_user(user))
        if user.is_active and not user.is_anonymous and not user.is_superuser:
            granted.extend(teacher_page_permissions(user))
        return granted


page_policy = CourseAuthoringPagePolicy()
