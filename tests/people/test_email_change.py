"""`PATCH /api/v1/me/`: names are the institution's, and a new e-mail address counts only
once its owner opens the link sent to it, signed in as the account that asked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from people import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://testserver(/[a-z]{2}/accounts/email/confirm/[^/\s]+/)")


@pytest.fixture
def user():
    return UserFactory(
        username="aysel", first_name="Aysel", last_name="Aliyeva", email="aysel@school.az"
    )


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask_for(api, address: str, **headers):
    return api.patch("/api/v1/me/", {"email": address}, format="json", **headers)


def link_in_mail() -> str:
    (message,) = mail.outbox
    return LINK.search(message.body)[1]


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_user_cannot_rename_themselves(api, user, field):
    response = api.patch("/api/v1/me/", {field: "Hacker"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field] == [
        "Your institution keeps your name; ask its admin to correct it."
    ]
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Aysel", "Aliyeva")


def test_sending_the_same_name_back_is_no_change(api, user):
    me = api.get("/api/v1/me/").json()
    response = api.put(
        "/api/v1/me/",
        {k: me[k] for k in ("first_name", "last_name", "email", "preferred_language")},
        format="json",
    )
    assert response.status_code == 200


def test_a_new_address_changes_nothing_until_confirmed_and_the_api_says_so(api, user):
    response = ask_for(api, "attacker@evil.example")

    assert response.status_code == 202
    assert response.json()["detail"] == (
        "We sent a link to attacker@evil.example. Your e-mail address changes when you "
        "open it, signed in as yourself, within 24 hours."
    )
    user.refresh_from_db()
    assert user.email == "aysel@school.az"
    (message,) = mail.outbox
    assert message.to == ["attacker@evil.example"]
    assert LINK.search(message.body)


def test_the_owner_of_the_new_address_confirms_it_by_opening_the_link(client, api, user):
    ask_for(api, "aysel.aliyeva@uni.az", HTTP_ACCEPT_LANGUAGE="az")
    link = link_in_mail()
    assert link.startswith("/az/")
    client.force_login(user)

    page = client.get(link)

    assert page.status_code == 200
    assert "aysel.aliyeva@uni.az" in page.content.decode()
    user.refresh_from_db()
    assert user.email == "aysel@school.az"  # opening the page alone (a mail scanner) is not it

    response = client.post(link)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "aysel.aliyeva@uni.az"
    # a link works once: the address it was sent from is not the account's any more
    assert client.post(link).status_code == 400


def test_the_link_needs_the_account_that_asked(client, api, user):
    ask_for(api, "new@uni.az")
    link = link_in_mail()

    anonymous = client.post(link)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client.force_login(UserFactory(username="someone-else", email="else@school.az"))
    response = client.post(link)

    assert response.status_code == 400
    assert "another account" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "aysel@school.az"


def test_an_expired_or_altered_link_changes_nothing(client, api, user, monkeypatch):
    ask_for(api, "new@uni.az")
    link = link_in_mail()
    client.force_login(user)

    assert client.post(link[:-3] + "xx/").status_code == 400
    monkeypatch.setattr(services, "EMAIL_CHANGE_MAX_AGE", timedelta(seconds=-1))
    response = client.post(link)

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "aysel@school.az"


def test_an_invalid_address_is_refused_and_nothing_is_sent(api, user):
    response = ask_for(api, "not-an-address")
    assert response.status_code == 400
    assert not mail.outbox


def test_the_same_address_again_sends_nothing(api, user):
    response = ask_for(api, "Aysel@School.az")
    assert response.status_code == 200
    assert not mail.outbox


def test_a_user_cannot_make_the_platform_mail_anyone_at_will(api, user, settings):
    cache.clear()
    settings.EMAIL_CHANGE_RATE_PER_ACCOUNT = "2/hour"

    answers = [ask_for(api, f"someone{n}@example.org") for n in range(3)]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert int(answers[2]["Retry-After"]) > 0
    assert answers[2].json()["code"] == "throttled"
    assert len(mail.outbox) == 2
