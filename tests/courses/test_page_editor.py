"""The page editors open for every type, and only under the right parent."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

from .pages import course, curriculum, home

pytestmark = pytest.mark.django_db


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
