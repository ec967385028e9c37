"""Logging out of a session that came from a provider (the provider's logout too), and
institutions that turn local passwords off."""

from __future__ import annotations

import html
import re

import pytest
import requests

from people.models import Institution, Membership, Role
from sso.models import ExternalIdentity
from tests.factories import (
    PASSWORD,
    CohortFactory,
    UserFactory,
    staff_user,
    student_in,
    teacher_of,
)
from tests.sso.conftest import RP
from tests.sso.provider import CLIENT_ID, log_out_at_provider, sign_in_at_provider

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"
LOGOUT = "/en/accounts/logout/"


def signed_in(client) -> bool:
    return client.get("/en/dashboard/").status_code == 200


def test_logout_ends_the_session_and_the_provider_s(client, idp, openid_provider):
    user = UserFactory(username="rashad")
    ExternalIdentity.objects.create(provider=idp, subject="rashad-at-idp", user=user)
    agent = requests.Session()  # the browser, at the provider
    start = client.get("/en/sso/test-id/login/")["Location"]
    back = sign_in_at_provider(agent, start, login="rashad-at-idp", rp=RP)
    client.get(back.removeprefix(RP))
    assert signed_in(client)

    response = client.post(LOGOUT)

    assert not signed_in(client)
    # a page whose refresh (and button) goes on to the provider's logout
    assert response.status_code == 200
    page = response.content.decode()
    onward = html.unescape(re.search(r'href="([^"]+)" data-testid="logout-elsewhere"', page)[1])
    assert f'content="0; url={html.escape(onward)}"' in page
    assert onward.startswith(f"{openid_provider.issuer}/session/end?")
    assert f"client_id={CLIENT_ID}" in onward
    assert "id_token_hint=" in onward
    # the provider ends its own session and sends the browser back to the login page
    landing = log_out_at_provider(agent, onward, rp=RP)
    assert landing == f"{RP}/sso/logged-out/"
    assert client.get(landing.removeprefix(RP))["Location"] == "/en/accounts/login/"
    # signed out there too: the provider asks for a login again
    again = agent.get(client.get("/en/sso/test-id/login/")["Location"])
    assert 'name="prompt" value="login"' in again.text


def test_a_password_session_logs_out_as_before(client, idp):
    user = UserFactory(username="teacher.b")
    client.force_login(user)
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response["Location"] == "/en/accounts/login/"
    assert not signed_in(client)


# ---------------------------------------------------------------------------------------
# local passwords off per institution
# ---------------------------------------------------------------------------------------
def log_in(client, username):
    return client.post(LOGIN, {"username": username, "password": PASSWORD})


def passwords_off(institution: Institution) -> None:
    institution.allow_local_passwords = False
    institution.save()


def test_a_pupil_of_a_school_without_passwords_is_sent_to_the_provider(client, idp):
    cohort = CohortFactory()
    pupil = student_in(cohort, username="aysel")
    ExternalIdentity.objects.create(provider=idp, subject="aysel-sub", user=pupil)
    passwords_off(cohort.institution)

    response = log_in(client, "aysel")

    assert response.status_code == 200
    assert not signed_in(client)
    page = response.content.decode()
    assert "Your institution does not use passwords on this platform" in page
    assert "Sign in with Test ID instead" in page
    assert 'href="/en/sso/test-id/login/"' in page


def test_the_right_password_still_counts_for_the_lockout_as_a_success(client, idp):
    """Refusing a right password is not a failed login: the person is not locked out."""
    cohort = CohortFactory()
    student_in(cohort, username="aysel")
    passwords_off(cohort.institution)
    for _ in range(8):
        assert log_in(client, "aysel").status_code == 200
    assert "does not use passwords" in log_in(client, "aysel").content.decode()


def test_one_institution_with_passwords_is_enough(client, idp):
    cohort = CohortFactory()
    pupil = student_in(cohort, username="aysel")
    passwords_off(cohort.institution)
    other = CohortFactory()
    Membership.objects.create(user=pupil, cohort=other, role=Role.STUDENT)

    assert log_in(client, "aysel").status_code == 302
    assert signed_in(client)


def test_staff_keep_their_passwords(client, idp):
    cohort = CohortFactory()
    staff = staff_user(username="platform.staff")
    Membership.objects.create(user=staff, cohort=cohort, role=Role.TEACHER)
    passwords_off(cohort.institution)

    assert log_in(client, "platform.staff").status_code == 302


def test_the_api_token_is_refused_too(client, idp):
    cohort = CohortFactory()
    student_in(cohort, username="aysel")
    passwords_off(cohort.institution)
    response = client.post("/api/v1/auth/token/", {"username": "aysel", "password": PASSWORD})
    assert response.status_code == 400
    assert "does not use passwords" in response.content.decode()


def test_the_wagtail_admin_login_is_refused_too(client, idp):
    cohort = CohortFactory()
    teacher_of(cohort, username="teacher.c")
    passwords_off(cohort.institution)
    response = client.post("/admin/login/", {"username": "teacher.c", "password": PASSWORD})
    assert response.status_code == 200
    assert "does not use passwords" in response.content.decode()
    assert not signed_in(client)
