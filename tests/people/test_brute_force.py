"""Guessing passwords: every login (the web form, Wagtail's /admin/login/, Django's
/django-admin/login/, the API token) is locked by django-axes after a few wrong passwords
for one username from one address, for a cool-off; password-reset e-mails are limited per
address asked for (silently) and per client address (429).

The suite switches the lockout and the limits off (lms/settings/test.py); these tests
switch them on with the values of lms/settings/base.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lms.settings import base
from tests.factories import PASSWORD, UserFactory, staff_user

pytestmark = pytest.mark.django_db

LIMIT = base.AXES_FAILURE_LIMIT
COOL_OFF = int(base.AXES_COOLOFF_TIME.total_seconds())
LOGIN_PAGES = ["/en/accounts/login/", "/admin/login/", "/django-admin/login/"]


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    yield


@pytest.fixture
def reset_limits(settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = base.PASSWORD_RESET_RATE_PER_ADDRESS
    settings.PASSWORD_RESET_RATE_PER_IP = base.PASSWORD_RESET_RATE_PER_IP
    cache.clear()
    yield
    cache.clear()


def _post(client, path, username, password, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_values_are_those_documented():
    assert LIMIT == 5
    assert COOL_OFF == 15 * 60
    assert base.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert base.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert base.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, lockout, path):
    staff_user(username="aysel", is_superuser=True)
    statuses = [_post(client, path, "aysel", f"guess-{i}").status_code for i in range(50)]
    # the first wrong passwords get the form again; from the LIMIT-th on, the lockout
    assert statuses[: LIMIT - 1] == [200] * (LIMIT - 1)
    assert set(statuses[LIMIT - 1 :]) == {429}

    response = _post(client, path, "aysel", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == str(COOL_OFF)
    assert not _logged_in(client)
    text = response.content.decode()
    assert 'data-testid="too-many-attempts"' in text
    assert "Please try again in 15 minutes." in text
    assert 'name="password"' not in text  # no form to keep guessing in


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_the_lockout_page_speaks_the_users_language(client, lockout, lang):
    UserFactory(username="aysel")
    for i in range(LIMIT):
        response = _post(client, f"/{lang}/accounts/login/", "aysel", f"guess-{i}")
    assert response.status_code == 429
    text = response.content.decode()
    with translation.override(lang):
        title = translation.gettext("Too many failed logins")
        message = translation.ngettext(
            "Too many failed logins with this username from your address. "
            "Please try again in %(minutes)d minute.",
            "Too many failed logins with this username from your address. "
            "Please try again in %(minutes)d minutes.",
            15,
        ) % {"minutes": 15}
    assert title != "Too many failed logins"
    assert title in text and message in text
    assert f'<html lang="{lang}">' in text


def test_the_same_username_from_another_address_and_another_username_still_log_in(client, lockout):
    UserFactory(username="aysel")
    UserFactory(username="bahar")
    for i in range(LIMIT):
        _post(client, LOGIN_PAGES[0], "aysel", f"guess-{i}")
    assert _post(client, LOGIN_PAGES[0], "aysel", PASSWORD).status_code == 429

    # a classmate behind the same school address is not locked out by aysel's guesser
    assert _post(client, LOGIN_PAGES[0], "bahar", PASSWORD).status_code == 302
    client.post("/en/accounts/logout/")
    # and aysel herself, at home, is not locked out by whoever guessed at school
    response = _post(client, LOGIN_PAGES[0], "aysel", PASSWORD, REMOTE_ADDR="10.20.30.40")
    assert response.status_code == 302


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(client, lockout):
    UserFactory(username="aysel")
    for i in range(LIMIT):
        _post(client, LOGIN_PAGES[0], "aysel", f"guess-{i}", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    response = _post(client, LOGIN_PAGES[0], "aysel", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts(client, lockout, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="aysel")
    for i in range(LIMIT):
        # the guesser writes anything on the left; the proxy appends the address it saw
        forged = f"10.0.0.{i}, 198.51.100.7"
        _post(client, LOGIN_PAGES[0], "aysel", f"guess-{i}", HTTP_X_FORWARDED_FOR=forged)
    response = _post(
        client, LOGIN_PAGES[0], "aysel", PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7"
    )
    assert response.status_code == 429
    # aysel, elsewhere behind the same proxy (same REMOTE_ADDR), is not locked out
    response = _post(client, LOGIN_PAGES[0], "aysel", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 302


def test_after_the_cool_off_the_right_password_logs_in(client, lockout):
    UserFactory(username="aysel")
    for i in range(LIMIT):
        _post(client, LOGIN_PAGES[0], "aysel", f"guess-{i}")
    assert _post(client, LOGIN_PAGES[0], "aysel", PASSWORD).status_code == 429

    # every refused try started the wait again; let it pass from the last one
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(seconds=COOL_OFF + 1)
        attempt.save()
    response = _post(client, LOGIN_PAGES[0], "aysel", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_a_right_password_starts_the_count_again(client, lockout):
    UserFactory(username="aysel")
    for _round in range(3):
        for i in range(LIMIT - 1):
            assert _post(client, LOGIN_PAGES[0], "aysel", f"typo-{i}").status_code == 200
        assert _post(client, LOGIN_PAGES[0], "aysel", PASSWORD).status_code == 302
        client.post("/en/accounts/logout/")


def test_an_unknown_username_is_locked_the_same_way(client, lockout):
    """No difference between an account that exists and one that does not."""
    statuses = [_post(client, LOGIN_PAGES[0], "nobody", f"guess-{i}").status_code for i in range(8)]
    assert statuses == [200] * (LIMIT - 1) + [429] * (8 - LIMIT + 1)


# --- the API token ----------------------------------------------------------------------


def test_the_token_endpoint_locks_out_with_the_api_error_body(lockout):
    UserFactory(username="aysel")
    api = APIClient()
    for i in range(50):
        response = api.post("/api/v1/auth/token/", {"username": "aysel", "password": f"g{i}"})
        assert response.status_code == (400 if i < LIMIT - 1 else 429), i

    response = api.post("/api/v1/auth/token/", {"username": "aysel", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == str(COOL_OFF)
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "status": 429,
        "code": "locked_out",
        "detail": "Too many failed logins with this username from your address. "
        "Please try again in 15 minutes.",
    }
    assert not Token.objects.exists()

    # another address may still ask for aysel's token with her password
    other = APIClient(REMOTE_ADDR="10.20.30.40")
    response = other.post("/api/v1/auth/token/", {"username": "aysel", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token"]


def test_a_lockout_on_the_web_form_holds_for_the_token_endpoint_too(client, lockout):
    UserFactory(username="aysel")
    for i in range(LIMIT):
        _post(client, LOGIN_PAGES[0], "aysel", f"guess-{i}")
    response = APIClient().post("/api/v1/auth/token/", {"username": "aysel", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


# --- password reset ---------------------------------------------------------------------


def _reset(client, email, **extra):
    return client.post("/en/accounts/password_reset/", {"email": email}, **extra)


def test_reset_mails_to_one_address_are_limited_silently(client, reset_limits):
    UserFactory(username="aysel", email="aysel@example.az")
    answers = [_reset(client, "aysel@example.az", REMOTE_ADDR=f"10.0.0.{i}") for i in range(10)]
    # at most 3 e-mails an hour to one inbox, whoever asks
    assert len(mail.outbox) == 3
    # and every answer is the same "check your inbox", as for an address nobody has
    unknown = [_reset(client, "nobody@example.az", REMOTE_ADDR=f"10.0.1.{i}") for i in range(10)]
    assert {(r.status_code, r["Location"]) for r in answers + unknown} == {
        (302, "/en/accounts/password_reset/done/")
    }
    assert len(mail.outbox) == 3


def test_the_limit_per_address_ignores_case_and_unicode_forms(client, reset_limits):
    UserFactory(username="aysel", email="aysel@example.az")
    for email in ["aysel@example.az", "AYSEL@example.az", "Aysel@Example.AZ", "aysel@EXAMPLE.az"]:
        _reset(client, email, REMOTE_ADDR="10.1.1.1")
    assert len(mail.outbox) == 3


def test_one_address_asking_for_many_resets_gets_a_429(client, reset_limits):
    statuses = [_reset(client, f"someone{i}@example.az").status_code for i in range(25)]
    assert statuses == [302] * 20 + [429] * 5
    response = _reset(client, "aysel@example.az")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    text = response.content.decode()
    assert 'data-testid="too-many-attempts"' in text
    assert "Too many password reset requests from your address." in text
    # another address is not affected
    assert _reset(client, "aysel@example.az", REMOTE_ADDR="10.20.30.40").status_code == 302
