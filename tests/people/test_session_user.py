"""The signed-in user of every request is read by people.backends (a query compiled once):
the same user as Django's ORM reads, and the same sign-outs: an account deactivated,
deleted or whose password changed elsewhere is nobody at its next request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client

from people.backends import LOGIN_BACKEND, PasswordBackend, user_by_pk
from people.models import User
from tests.factories import PASSWORD, CohortFactory, student_in

pytestmark = pytest.mark.django_db

DASHBOARD = "/en/dashboard/"


def signed_in(user: User) -> Client:
    """A browser signed in through the login form."""
    client = Client()
    response = client.post("/en/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session[BACKEND_SESSION_KEY] == LOGIN_BACKEND
    return client


def shows_dashboard(client: Client, user: User) -> bool:
    response = client.get(DASHBOARD)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]
        return False
    assert response.status_code == 200
    assert user.display_name in response.content.decode()
    return True


def test_the_user_is_read_as_the_orm_reads_them():
    user = student_in(
        CohortFactory(),
        first_name="Ləman",
        last_name="Əliyeva",
        email="leman@example.az",
        preferred_language="az",
    )
    user.last_login = datetime(2026, 9, 1, 8, 30, 15, 123456, tzinfo=UTC)
    user.save()
    read, orm = user_by_pk(str(user.pk)), User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        mine, theirs = getattr(read, field.attname), getattr(orm, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.name
    assert read._state.db == orm._state.db and read._state.adding is False
    assert read.check_password(PASSWORD)


def test_no_user_for_a_missing_or_malformed_key():
    assert user_by_pk("987654321") is None
    assert user_by_pk("not-a-number") is None
    assert user_by_pk(None) is None


def test_each_signed_in_student_sees_their_own_dashboard():
    ana, bob = student_in(CohortFactory()), student_in(CohortFactory())
    as_ana, as_bob = signed_in(ana), signed_in(bob)
    assert shows_dashboard(as_ana, ana) and shows_dashboard(as_bob, bob)
    assert bob.display_name not in as_ana.get(DASHBOARD).content.decode()


def test_a_deactivated_account_is_signed_out_at_its_next_request():
    ana = student_in(CohortFactory())
    browser = signed_in(ana)
    assert shows_dashboard(browser, ana)
    ana.is_active = False
    ana.save()
    assert not shows_dashboard(browser, ana)
    # the backend itself refuses an inactive account, as Django's ModelBackend does
    assert PasswordBackend().get_user(str(ana.pk)) is None


def test_a_password_changed_elsewhere_signs_the_other_sessions_out():
    ana = student_in(CohortFactory())
    phone, laptop = signed_in(ana), signed_in(ana)
    assert shows_dashboard(phone, ana) and shows_dashboard(laptop, ana)
    ana.set_password("a-new-long-passphrase")
    ana.save()
    assert not shows_dashboard(phone, ana)
    assert not shows_dashboard(laptop, ana)


def test_a_deleted_account_is_nobody():
    ana = student_in(CohortFactory())
    browser = signed_in(ana)
    ana.delete()
    assert not shows_dashboard(browser, ana)


def test_a_session_signed_in_by_djangos_own_backend_is_signed_out_once():
    """From an installation before people.backends: those sessions name Django's
    ModelBackend, no longer configured; their next request is signed out, and signing in
    again works."""
    ana = student_in(CohortFactory())
    browser = signed_in(ana)
    session = browser.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    assert not shows_dashboard(browser, ana)
    assert shows_dashboard(signed_in(ana), ana)
