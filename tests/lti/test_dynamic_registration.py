"""LTI Dynamic Registration: the LMS admin pastes one URL; the registration it stores
launches; a used, unknown or refused invitation stores nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lti import dynamic
from lti.models import Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(university, client, lms):
    registration = Registration.objects.create(
        name="Canvas of Test University", institution=university
    )
    token = dynamic.registration_invite(registration=registration)
    lms.tool_jwks = client.get("/lti/jwks/").json()
    return registration, token


def register(client, lms, token, registration_token=None):
    return client.get(
        "/lti/register/",
        {
            "invite": token,
            "openid_configuration": lms.openid_configuration_url,
            "registration_token": registration_token or lms.registration_token,
        },
    )


def test_dynamic_registration_stores_a_registration_that_launches(client, lms, waiting, exercise):
    registration, token = waiting
    assert dynamic.invite_url(token) == f"http://testserver/lti/register/?invite={token}"
    response = register(client, lms, token)
    assert response.status_code == 200
    assert "can now launch" in response.content.decode()
    assert f"frame-ancestors {lms.base}" in response["Content-Security-Policy"]

    # what the tool asked the LMS for
    (sent,) = lms.received.registrations
    assert sent["initiate_login_uri"] == "http://testserver/lti/login/"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert sent["jwks_uri"] == "http://testserver/lti/jwks/"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"]
    config = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert {m["type"] for m in config["messages"]} >= {"LtiDeepLinkingRequest"}

    registration.refresh_from_db()
    assert registration.status == Registration.Status.ACTIVE
    assert registration.source == Registration.Source.DYNAMIC
    assert (registration.issuer, registration.client_id) == (lms.issuer, lms.client_id)
    assert registration.deployment_ids == [lms.deployment_id]
    assert registration.keyset_url == lms.jwks_url and registration.auth_token_url == lms.token_url
    assert registration.invite_digest == ""

    response, _ = lms.launch(client, custom={"exercise": str(exercise.pk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("grading:exercise", args=[exercise.pk])

    # the invitation worked once
    again = register(client, lms, token)
    assert again.status_code == 400 and "already used" in again.content.decode()


def test_a_refused_registration_stores_nothing(client, lms, waiting, caplog):
    registration, token = waiting
    response = register(client, lms, token, registration_token="wrong")
    assert response.status_code == 400
    assert "refused the registration" in response.content.decode()
    assert "HTTP 401" in caplog.text
    registration.refresh_from_db()
    assert registration.status == Registration.Status.WAITING and registration.client_id == ""
    # the invitation is still good
    assert register(client, lms, token).status_code == 200


def test_an_unknown_invitation_registers_nothing(client, lms, waiting):
    response = register(client, lms, "guessed")
    assert response.status_code == 400
    assert lms.received.registrations == []
    assert not Registration.objects.exclude(client_id="").exists()
