"""A teacher authors the courses they are assigned to, and adds courses to the curricula
of the tracks they teach; the rest of the page tree (the national home page, other
tracks' curricula, courses and lessons, other teachers' courses) is not theirs to open
in the editor, copy, move, delete, lock, preview, translate or read the history of.
Curriculum leads keep their rights on the whole tree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission, Locale, Page, WorkflowState

from cms.permissions import ensure_translation_rights
from courses.models import CoursePage, LessonPage
from courses.services import course_assign
from people.models import Track
from people.services import CURRICULUM_LEADS_GROUP, TEACHERS_GROUP
from tests.factories import CohortFactory, teacher_of

from .admin_forms import add_url, edit_url, editor_data
from .pages import course, curriculum, curriculum_index, home, lesson, translate

pytestmark = pytest.mark.django_db

REFUSED = (302, 403, 404)


@pytest.fixture
def tree():
    """A school teacher's assigned course, and what is not theirs around it."""

    t = SimpleNamespace()
    cohort = CohortFactory(track=Track.SCHOOL)
    t.teacher = teacher_of(cohort, username="elvin")
    t.school = curriculum(title="Informatics 5-9", track="school")
    t.mine = course(t.school, title="Python basics")
    course_assign(course=t.mine, cohort=cohort, assigned_by=t.teacher)
    t.my_lesson = lesson(t.mine, title="Loops")
    t.university = curriculum(title="Data science", track="university")
    t.theirs = course(t.university, title="Statistics")
    t.their_lesson = lesson(t.theirs, title="Sampling")
    t.colleagues = course(t.school, title="Spreadsheets")  # same track, not assigned
    t.colleagues_lesson = lesson(t.colleagues, title="Formulas")
    t.home = home()
    t.index = curriculum_index()
    return t


def out_of_scope(t) -> dict[str, Page]:
    return {
        "home page": t.home,
        "curricula index": t.index,
        "another track's curriculum": t.university,
        "another track's course": t.theirs,
        "another track's lesson": t.their_lesson,
        "an unassigned course": t.colleagues,
        "an unassigned course's lesson": t.colleagues_lesson,
    }


# Every admin view of one page a teacher could open with a GET ...
PAGE_VIEWS = [
    "edit",
    "copy",
    "delete",
    "move",
    "history",
    "usage",
    "view_draft",
    "preview_on_edit",
    "workflow_history",
    "set_privacy",
]
# ... and those that act on a POST
POST_VIEWS = ["lock", "unlock", "delete", "unpublish", "copy"]


def view_url(name: str, page: Page) -> str:
    return reverse(f"wagtailadmin_pages:{name}", args=[page.pk])


@pytest.mark.parametrize(
    "name",
    ["edit", "copy", "history", "usage", "view_draft", "preview_on_edit", "workflow_history"],
)
def test_a_teacher_opens_the_admin_views_of_their_assigned_lesson(client, tree, name):
    """The control: each view exists and opens for a page that is the teacher's."""
    client.force_login(tree.teacher)
    response = client.get(view_url(name, tree.my_lesson))
    assert response.status_code == 200, name


@pytest.mark.parametrize("name", PAGE_VIEWS)
def test_a_teacher_opens_no_admin_view_of_pages_outside_their_courses(client, tree, name):
    client.force_login(tree.teacher)
    for label, page in out_of_scope(tree).items():
        response = client.get(view_url(name, page))
        assert response.status_code in REFUSED, f"{name} of {label}: {response.status_code}"


@pytest.mark.parametrize("name", POST_VIEWS)
def test_a_teacher_acts_on_no_page_outside_their_courses(client, tree, name):
    client.force_login(tree.teacher)
    for label, page in out_of_scope(tree).items():
        response = client.post(view_url(name, page))
        assert response.status_code in REFUSED, f"{name} of {label}: {response.status_code}"
        page.refresh_from_db()
        assert page.live and not page.locked, label
    assert Page.objects.filter(pk__in=[p.pk for p in out_of_scope(tree).values()]).count() == 7


def test_a_teacher_reads_no_revision_of_pages_outside_their_courses(client, tree):
    client.force_login(tree.teacher)
    for label, page in out_of_scope(tree).items():
        revision = page.get_latest_revision() or page.save_revision()
        for url in (
            reverse("wagtailadmin_pages:revisions_view", args=[page.pk, revision.pk]),
            reverse("wagtailadmin_pages:revisions_revert", args=[page.pk, revision.pk]),
            reverse(
                "wagtailadmin_pages:revisions_compare", args=[page.pk, "earliest", revision.pk]
            ),
        ):
            response = client.get(url)
            assert response.status_code in REFUSED, f"{url} of {label}: {response.status_code}"
    revision = tree.my_lesson.get_latest_revision()
    mine = reverse("wagtailadmin_pages:revisions_view", args=[tree.my_lesson.pk, revision.pk])
    assert client.get(mine).status_code == 200


def test_the_permission_tester_scopes_every_action(tree):
    teacher = tree.teacher
    mine = tree.my_lesson.permissions_for_user(teacher)
    assert mine.can_edit() and mine.can_copy() and mine.can_lock()
    assert not mine.can_publish()  # teachers submit, curriculum leads publish
    for label, page in out_of_scope(tree).items():
        perms = page.permissions_for_user(teacher)
        for action in (
            "can_edit",
            "can_copy",
            "can_delete",
            "can_move",
            "can_lock",
            "can_unpublish",
            "can_publish",
        ):
            assert not getattr(perms, action)(), f"{action} on {label}"


def test_a_teacher_cannot_submit_a_draft_of_another_tracks_lesson(client, tree):
    client.force_login(tree.teacher)
    url = edit_url(tree.their_lesson)
    data = {
        "title": "Hijacked",
        "slug": tree.their_lesson.slug,
        "introduction": "",
        "completion_rule": "read",
        "body-count": "0",
        "action-submit": "Submit for moderation",
    }

    response = client.post(url, data)

    assert response.status_code in REFUSED
    tree.their_lesson.refresh_from_db()
    assert tree.their_lesson.get_latest_revision().as_object().title == "Sampling"
    assert not WorkflowState.objects.filter(object_id=str(tree.their_lesson.pk)).exists()


def test_a_teacher_cannot_submit_a_draft_of_the_national_home_page(client, tree):
    client.force_login(tree.teacher)
    before = tree.home.revisions.count()

    response = client.post(
        edit_url(tree.home),
        {"title": "Hijacked", "slug": tree.home.slug, "action-submit": "Submit"},
    )

    assert response.status_code in REFUSED
    assert tree.home.revisions.count() == before


def test_a_teacher_submits_a_draft_of_their_assigned_lesson(client, tree):
    client.force_login(tree.teacher)
    url = edit_url(tree.my_lesson)
    data = editor_data(client, url, {"title": "Loops, again", "action-submit": "Submit"})

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert WorkflowState.objects.filter(object_id=str(tree.my_lesson.pk)).exists()


@pytest.mark.parametrize(
    ("app", "model", "parent"),
    [
        ("cms", "standardpage", "home"),
        ("curricula", "curriculumpage", "index"),
        ("courses", "coursepage", "university"),
        ("courses", "lessonpage", "theirs"),
    ],
)
def test_a_teacher_cannot_add_pages_outside_their_tracks_and_courses(
    client, tree, app, model, parent
):
    client.force_login(tree.teacher)
    response = client.get(add_url(app, model, getattr(tree, parent)))
    assert response.status_code in REFUSED


def test_a_teacher_adds_a_course_to_their_tracks_curriculum_and_lessons_to_their_course(
    client, tree
):
    client.force_login(tree.teacher)
    assert client.get(add_url("courses", "coursepage", tree.school)).status_code == 200
    assert client.get(add_url("courses", "lessonpage", tree.mine)).status_code == 200


def test_a_teacher_edits_the_course_they_created_in_their_track(client, tree):
    client.force_login(tree.teacher)
    url = add_url("courses", "coursepage", tree.school)
    data = editor_data(
        client,
        url,
        {
            "title": "My new course",
            "slug": "my-new-course",
            "summary": "Mine.",
            "estimated_hours": "2",
        },
    )
    assert client.post(url, data).status_code == 302
    created = CoursePage.objects.get(slug="my-new-course")
    assert created.owner == tree.teacher
    assert client.get(edit_url(created)).status_code == 200


def test_copying_a_page_of_another_track_is_refused(client, tree):
    client.force_login(tree.teacher)
    response = client.post(
        view_url("copy", tree.their_lesson),
        {"new_title": "Copied", "new_slug": "copied", "new_parent_page": str(tree.mine.pk)},
    )
    assert response.status_code in REFUSED
    assert not LessonPage.objects.filter(slug="copied").exists()


def test_the_explorer_shows_a_teacher_their_tracks_curricula_not_the_others(client, tree):
    client.force_login(tree.teacher)
    html = client.get(reverse("wagtailadmin_explore_root"), follow=True).content.decode()
    assert "Python basics" in html
    assert "Data science" not in html and "Statistics" not in html
    response = client.get(reverse("wagtailadmin_explore", args=[tree.university.pk]), follow=True)
    assert "Statistics" not in response.content.decode()


def test_a_teacher_translates_only_their_pages(client, tree):
    client.force_login(tree.teacher)
    az = Locale.objects.get(language_code="az")
    url = reverse("simple_translation:submit_page_translation", args=[tree.their_lesson.pk])
    assert client.get(url).status_code in REFUSED
    assert client.post(url, {"locales": [az.pk]}).status_code in REFUSED
    mine = reverse("simple_translation:submit_page_translation", args=[tree.my_lesson.pk])
    assert client.get(mine).status_code == 200


def test_the_translation_of_an_assigned_course_is_the_teachers_too(tree):
    translated = translate(tree.my_lesson, "az", title="Dövrlər")
    other = translate(tree.their_lesson, "az", title="Seçmə")
    assert translated.permissions_for_user(tree.teacher).can_edit()
    assert not other.permissions_for_user(tree.teacher).can_edit()


def test_a_curriculum_lead_keeps_their_rights_on_the_whole_tree(client, tree):
    lead = teacher_of(CohortFactory(track=Track.SCHOOL), username="tural")
    lead.groups.add(Group.objects.get(name=CURRICULUM_LEADS_GROUP))
    client.force_login(lead)
    for label, page in out_of_scope(tree).items():
        assert client.get(edit_url(page)).status_code == 200, label
        assert page.permissions_for_user(lead).can_publish(), label


def test_the_teachers_group_holds_no_right_on_the_tree_even_after_an_older_version(tree):
    teachers = Group.objects.get(name=TEACHERS_GROUP)
    assert not GroupPagePermission.objects.filter(group=teachers).exists()
    # what an earlier version gave the group on the home page, as a database may still hold
    GroupPagePermission.objects.create(
        group=teachers,
        page=tree.home,
        permission=Permission.objects.get(
            content_type__app_label="wagtailcore", codename="change_page"
        ),
    )
    assert tree.their_lesson.permissions_for_user(tree.teacher).can_edit()

    ensure_translation_rights()  # after every migrate

    assert not GroupPagePermission.objects.filter(group=teachers).exists()
    tree.teacher.__dict__.pop("_page_permission_cache", None)
    assert not tree.their_lesson.permissions_for_user(tree.teacher).can_edit()
