"""Teachers author in the Wagtail admin, curriculum leads approve; publishing refuses a
course whose lessons are not ready, and says why in the editor; pages translate into the
platform's languages."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import Locale, Page, Workflow, WorkflowPage, WorkflowState
from wagtail.test.utils.form_data import rich_text

from courses.models import CoursePage, LessonPage
from courses.moderation import WORKFLOW_NAME
from curricula.models import Competence
from people.services import CURRICULUM_LEADS_GROUP
from tests.factories import CohortFactory, UserFactory, teacher_of

from .admin_forms import add_url, edit_url, editor_data, question_data, quiz_data
from .pages import course, curriculum, curriculum_index, lesson, question, quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def programming():
    return Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")


@pytest.fixture
def teacher():
    return teacher_of(CohortFactory(), username="author")


@pytest.fixture
def lead():
    user = teacher_of(CohortFactory(), username="lead")
    user.groups.add(Group.objects.get(name=CURRICULUM_LEADS_GROUP))
    return user


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def lesson_fields(title="Loops", slug="loops", rule="quiz"):
    return {
        "title": title,
        "slug": slug,
        "introduction": "Repeat steps.",
        "estimated_minutes": "20",
        "completion_rule": rule,
    }


def test_the_course_review_workflow_covers_every_curricula_index():
    index = curriculum_index()
    workflow = Workflow.objects.get(name=WORKFLOW_NAME)
    task = workflow.tasks.get().specific
    assert list(task.groups.values_list("name", flat=True)) == [CURRICULUM_LEADS_GROUP]
    assert WorkflowPage.objects.get(page=index).workflow == workflow
    a_course = course()
    assert a_course.get_workflow() == workflow


def test_the_platform_languages_have_locales_and_teachers_may_translate(teacher):
    assert set(Locale.objects.values_list("language_code", flat=True)) >= {"az", "ru", "en"}
    assert teacher.has_perm("simple_translation.submit_translation")


def test_a_teacher_submits_a_lesson_with_a_quiz_and_a_lead_publishes_it(
    client, teacher, lead, programming
):
    parent = course(title="Python basics")
    lesson(parent, title="First")  # the course has a lesson already
    client.force_login(teacher)
    url = add_url("courses", "lessonpage", parent)
    data = editor_data(
        client,
        url,
        {**lesson_fields(), "action-submit": "Submit for moderation"},
        body=[
            ("paragraph", rich_text("<p>A loop repeats.</p>")),
            (
                "quiz",
                quiz_data(
                    question_data(
                        "How many times does range(3) repeat?",
                        competence=programming,
                        items=[("2", False), ("3", True), ("4", False)],
                    )
                ),
            ),
        ],
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    page = LessonPage.objects.get(slug="loops")
    assert not page.live
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    # a teacher may not publish: the button is not there and posting it only saves
    assert not page.permissions_for_user(teacher).can_publish()

    client.force_login(lead)
    task_state = state.current_task_state
    approve = reverse(
        "wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk]
    )
    assert client.post(approve, {"comment": ""}).status_code in (200, 302)

    page.refresh_from_db()
    assert page.live
    assert page.revisions.count() >= 1


def test_a_teacher_cannot_publish_directly(client, teacher):
    parent = course()
    lesson(parent)
    client.force_login(teacher)
    url = add_url("courses", "lessonpage", parent)
    data = editor_data(client, url, {**lesson_fields(rule="read"), "action-publish": "Publish"})

    client.post(url, data)

    page = LessonPage.objects.get(slug="loops")
    assert not page.live  # saved as a draft instead


def test_publishing_a_course_without_lessons_is_refused_with_the_reason(client, superuser):
    parent = curriculum()
    client.force_login(superuser)
    url = add_url("courses", "coursepage", parent)
    data = editor_data(
        client,
        url,
        {
            "title": "Empty course",
            "slug": "empty-course",
            "summary": "Nothing yet.",
            "estimated_hours": "2",
            "action-publish": "Publish",
        },
    )

    response = client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "A course needs at least one lesson before it can be published" in html
    assert not CoursePage.objects.filter(slug="empty-course").exists()

    # saving a draft works; lessons come next
    data.pop("action-publish")
    assert client.post(url, data).status_code == 302
    assert not CoursePage.objects.get(slug="empty-course").live


def test_publishing_a_course_whose_lesson_quiz_has_no_correct_answer_is_refused(client, superuser):
    a_course = course(title="Broken")
    broken = question("Which is right?", id="q-broken")
    for item in broken["value"]["choices"]:
        item["value"]["correct"] = False
    lesson(a_course, title="Quiz lesson", body=[quiz(broken)], completion_rule="quiz")
    client.force_login(superuser)
    url = edit_url(a_course)
    data = editor_data(client, url, {"action-publish": "Publish"})

    response = client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Quiz lesson" in html and "has no correct answer" in html


def test_a_question_without_a_correct_answer_cannot_even_be_saved(client, superuser, programming):
    parent = course()
    client.force_login(superuser)
    url = add_url("courses", "lessonpage", parent)
    data = editor_data(
        client,
        url,
        lesson_fields(),
        body=[
            (
                "quiz",
                quiz_data(
                    question_data(
                        "Pick one", competence=programming, items=[("a", False), ("b", False)]
                    )
                ),
            )
        ],
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Tick the correct answer." in response.content.decode()
    assert not LessonPage.objects.filter(slug="loops").exists()


def test_a_lesson_completed_by_its_quiz_needs_a_quiz_to_be_published(client, superuser):
    parent = course()
    client.force_login(superuser)
    url = add_url("courses", "lessonpage", parent)
    data = editor_data(client, url, {**lesson_fields(rule="quiz"), "action-publish": "Publish"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert "completed by passing its quiz, but it has no quiz" in response.content.decode()
    data.pop("action-publish")
    assert client.post(url, data).status_code == 302  # the draft is kept


def test_the_preview_shows_the_quiz_without_its_answers(client, superuser):
    a_lesson = lesson(
        body=[quiz(question("Value of pi?", kind="numeric", answer=3.14159, tolerance=0.01))],
        completion_rule="quiz",
    )
    client.force_login(superuser)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[a_lesson.pk])
    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    pi = question_data("Value of pi?", competence=programming, kind="numeric", answer=3.14159)
    data = editor_data(client, edit_url(a_lesson), {}, body=[("quiz", quiz_data(pi))])
    assert client.post(url, data).json()["is_valid"]

    html = client.get(url).content.decode()

    assert "Value of pi?" in html
    assert "3.14159" not in html


def test_a_course_is_copied_for_translation_with_its_lessons(client, superuser):
    a_course = course(title="Cyber hygiene", slug="cyber-hygiene")
    lesson(a_course, title="Passwords")
    client.force_login(superuser)
    az = Locale.objects.get(language_code="az")

    def translate(page, **extra):
        return client.post(
            reverse("simple_translation:submit_page_translation", args=[page.pk]),
            {"locales": [az.pk], **extra},
        )

    # top-down, as the editor offers it: a locale is open once the parent is translated
    assert translate(curriculum_index()).status_code == 302
    assert translate(a_course.get_parent()).status_code == 302
    response = translate(a_course, include_subtree="on")

    assert response.status_code == 302
    translated = CoursePage.objects.get(translation_key=a_course.translation_key, locale=az)
    assert translated.slug == "cyber-hygiene"
    assert LessonPage.objects.child_of(translated).count() == 1
    assert Page.objects.get(pk=translated.pk).get_parent().locale == az
