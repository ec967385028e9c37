"""The demo tree loads twice without duplicates; the page editors open for every type."""

import pytest
from django.urls import reverse

from courses import demo
from courses.models import CoursePage, LessonPage
from curricula.models import CurriculumCompetenceTarget, CurriculumIndexPage, CurriculumPage
from tests.factories import UserFactory

from .pages import course, curriculum, home

pytestmark = pytest.mark.django_db


def test_the_demo_tree_is_idempotent(client):
    demo.load()
    demo.load()

    assert CurriculumIndexPage.objects.count() == 1
    assert sorted(CurriculumPage.objects.values_list("track", flat=True)) == [
        "scholarship",
        "school",
        "university",
    ]
    assert CurriculumCompetenceTarget.objects.count() == 7
    assert CoursePage.objects.get().competences.get().code == "3.4"
    lessons = LessonPage.objects.live()
    assert lessons.count() == 2
    html = client.get(lessons.get(slug="averages").url).content.decode()
    assert "<mfrac>" in html and '<span class="k">def</span>' in html


@pytest.mark.parametrize("model", ["curriculumpage", "coursepage", "lessonpage"])
def test_the_page_editor_opens_for_each_page_type(client, model):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    parents = {
        "curriculumpage": lambda: curriculum().get_parent(),
        "coursepage": lambda: curriculum(),
        "lessonpage": lambda: course(),
    }
    parent = parents[model]()
    app = "curricula" if model == "curriculumpage" else "courses"

    response = client.get(reverse("wagtailadmin_pages:add", args=[app, model, parent.pk]))

    assert response.status_code == 200
    refused = client.get(reverse("wagtailadmin_pages:add", args=[app, model, home().pk]))
    assert refused.status_code in (302, 403)
