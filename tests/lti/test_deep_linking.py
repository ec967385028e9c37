"""A teacher picks exercises from the catalogue inside the LMS: the LMS receives a signed
LtiDeepLinkingResponse, and the link it makes from it opens the exercise."""

from __future__ import annotations

import re

import jwt
import pytest
from django.urls import reverse

from lti.models import Launch
from tests.lti.platform import INSTRUCTOR, LEARNER

pytestmark = pytest.mark.django_db


def field(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_deep_linking_returns_a_signed_content_item_that_then_launches(
    client, lms, registration, exercise, course
):
    picker, _ = lms.launch(client, message_type="LtiDeepLinkingRequest", roles=[INSTRUCTOR])
    assert picker.status_code == 200
    html = picker.content.decode()
    assert "Squares" in html and course.title in html
    assert f"frame-ancestors {lms.base}" in picker["Content-Security-Policy"]

    answer = client.post(
        "/lti/deep-link/",
        {"launch_id": field(html, "launch_id"), "item": [f"exercise:{exercise.pk}"]},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert f'action="{lms.base}/deep-link-return"' in html
    # the page may post to the LMS (and only this page): CSP form-action
    assert lms.base in re.search(r"form-action([^;]*)", answer["Content-Security-Policy"]).group(1)

    # the LMS checks the signature with the tool's published keys
    token = field(html, "JWT")
    keys = {k["kid"]: k for k in client.get("/lti/jwks/").json()["keys"]}
    key = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]]).key
    message = jwt.decode(token, key, algorithms=["RS256"], audience=lms.issuer)
    assert message["iss"] == lms.client_id
    claim = "https://purl.imsglobal.org/spec/lti/claim/"
    assert message[claim + "message_type"] == "LtiDeepLinkingResponse"
    assert message[claim + "deployment_id"] == lms.deployment_id
    assert message["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    (item,) = message["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink" and item["title"] == "Squares"
    assert item["url"] == "http://testserver/lti/launch/"
    assert item["lineItem"]["scoreMaximum"] == exercise.max_score == 3

    # the LMS makes a link of it; a student's launch of that link opens the exercise
    client.logout()
    response, _ = lms.launch(
        client,
        sub="lms-student",
        roles=[LEARNER],
        resource_link_id="new-link",
        custom=item["custom"],
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("grading:exercise", args=[exercise.pk])


def test_a_learner_cannot_deep_link_and_a_forged_launch_id_gets_nothing(
    client, lms, registration, exercise
):
    response, _ = lms.launch(client, message_type="LtiDeepLinkingRequest", roles=[LEARNER])
    assert response.status_code == 400
    assert "Only the course&#x27;s teachers" in response.content.decode()
    assert Launch.objects.get().status == Launch.Status.REFUSED

    forged = client.post(
        "/lti/deep-link/",
        {"launch_id": "lti1p3-launch-forged", "item": [f"exercise:{exercise.pk}"]},
    )
    assert forged.status_code == 400
    assert "JWT" not in forged.content.decode()


def test_nothing_chosen_asks_again(client, lms, registration, exercise):
    picker, _ = lms.launch(client, message_type="LtiDeepLinkingRequest", roles=[INSTRUCTOR])
    answer = client.post(
        "/lti/deep-link/", {"launch_id": field(picker.content.decode(), "launch_id")}
    )
    assert answer.status_code == 400
    assert "Choose at least one activity" in answer.content.decode()
