"""Every view of one exercise in the Wagtail admin (edit, copy, history, usage, delete,
and any the viewset gains later) opens only for those who manage it: its author, the
teachers of cohorts its course is assigned to, curriculum leads and staff. The lesson
editor's exercise chooser offers the same exercises."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from grading.models import Exercise
from people.services import CURRICULUM_LEADS_GROUP
from tests.factories import CohortFactory, teacher_of
from tests.grading.factories import ExerciseFactory, a_course, classroom

pytestmark = pytest.mark.django_db

REFUSED = (302, 403, 404)


@pytest.fixture
def room():
    return classroom(title="Squares of the 9-A", description="Secret plan of the 9-A")


def object_views() -> list[str]:
    """The names of the exercise viewset's URLs that take an exercise's id."""
    viewset = Exercise.snippet_viewset
    return sorted(
        pattern.name for pattern in viewset.get_urlpatterns() if "pk" in str(pattern.pattern)
    )


def url(name: str, exercise: Exercise) -> str:
    return reverse(Exercise.snippet_viewset.get_url_name(name), args=[exercise.pk])


def test_the_views_of_one_exercise_are_the_ones_checked_here():
    # a view the viewset gains is checked by the tests below without being named here
    assert {"edit", "copy", "delete", "usage", "history", "history_results"} <= set(object_views())


@pytest.mark.parametrize("name", object_views())
def test_a_teacher_opens_no_view_of_an_exercise_they_do_not_manage(client, room, name):
    client.force_login(room.teacher_elsewhere)

    response = client.get(url(name, room.exercise))

    assert response.status_code in REFUSED, f"{name}: {response.status_code}"
    assert "Secret plan" not in response.content.decode()


# deleting is left to platform staff (grading/permissions.py)
@pytest.mark.parametrize("name", [n for n in object_views() if n != "delete"])
def test_the_exercises_teacher_opens_its_views(client, room, name):
    client.force_login(room.teacher)
    assert client.get(url(name, room.exercise)).status_code == 200


@pytest.mark.parametrize("name", ["edit", "copy", "usage", "history"])
def test_a_curriculum_lead_opens_every_exercise(client, room, name):
    lead = teacher_of(CohortFactory(), username="lead")
    lead.groups.add(Group.objects.get(name=CURRICULUM_LEADS_GROUP))
    client.force_login(lead)
    assert client.get(url(name, room.exercise)).status_code == 200


def test_copying_an_exercise_of_another_course_is_refused(client, room):
    client.force_login(room.teacher_elsewhere)

    response = client.post(url("copy", room.exercise), {"title": "Copied", "slug": "copied"})

    assert response.status_code in REFUSED
    assert not Exercise.objects.filter(slug="copied").exists()


def test_the_exercise_chooser_offers_only_the_exercises_a_teacher_manages(client, room):
    mine = ExerciseFactory(course=a_course(), created_by=room.teacher_elsewhere, title="Cubes")
    client.force_login(room.teacher_elsewhere)
    choose = reverse(Exercise.snippet_viewset.chooser_viewset.get_url_name("choose"))

    html = client.get(choose).content.decode()

    assert "Cubes" in html
    assert "Squares of the 9-A" not in html
    chosen = reverse(
        Exercise.snippet_viewset.chooser_viewset.get_url_name("chosen"), args=[room.exercise.pk]
    )
    response = client.get(chosen)
    assert response.status_code in REFUSED
    assert "Squares" not in response.content.decode()
    mine_chosen = reverse(
        Exercise.snippet_viewset.chooser_viewset.get_url_name("chosen"), args=[mine.pk]
    )
    assert client.get(mine_chosen).status_code == 200
