"""The registrations in the Django admin: the latest launches with their errors, and a
new registration's one-time dynamic registration URL."""

from __future__ import annotations

import re

import pytest

from lti import dynamic
from lti.models import Registration

pytestmark = pytest.mark.django_db


def test_a_registration_page_lists_its_launches_with_the_errors(
    admin_client, client, lms, registration, exercise
):
    lms.launch(client, custom={"exercise": str(exercise.pk)})
    lms.launch(client, custom={"exercise": "999999"})
    page = admin_client.get(f"/django-admin/lti/registration/{registration.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Opened" in text and "Refused" in text and "exercise 999999 no longer exists" in text
    assert "No score yet" in text  # the student's passback waits for a grade
    assert "http://testserver/lti/jwks/" in text  # the URLs to give the LMS


def test_adding_a_registration_without_a_client_gives_a_dynamic_registration_url(
    admin_client, university
):
    response = admin_client.post(
        "/django-admin/lti/registration/add/",
        {
            "name": "Canvas",
            "institution": university.pk,
            "status": "active",
            "deployment_ids": "[]",
            "frame_origins": "[]",
            "accept_new_deployments": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    token = re.search(r"/lti/register/\?invite=([\w-]+)", response.content.decode()).group(1)
    registration = Registration.objects.get(name="Canvas")
    assert registration.status == Registration.Status.WAITING
    assert dynamic.invited(token) == registration
