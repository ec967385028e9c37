"""Login, logout, password change and reset, and the role-aware dashboard."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from people.imports import student_import
from people.models import Role, User
from tests.factories import (
    PASSWORD,
    CohortFactory,
    MembershipFactory,
    UserFactory,
    admin_of,
    analyst,
    staff_user,
    student_csv,
    student_in,
    teacher_of,
)

LOGIN_ERROR = (
    "Please enter a correct username and password. Note that both fields may be case-sensitive."
)


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_the_login_page_renders_in_every_language(client, db, lang):
    response = client.get(f"/{lang}/accounts/login/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'<html lang="{lang}">' in text
    assert 'name="username"' in text and 'name="password"' in text
    assert f'action="/{lang}/accounts/login/"' in text
    assert response["Content-Language"] == lang


def _log_in(client, username, password, lang="en", **extra):
    return client.post(
        f"/{lang}/accounts/login/", {"username": username, "password": password, **extra}
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("aysel", "wrong-password"),  # a real user, the wrong password
        ("nobody-here", PASSWORD),  # no such user
        ("", ""),
    ],
    ids=["wrong-password", "unknown-user", "empty"],
)
def test_a_failed_login_says_so_without_telling_which_part_was_wrong(
    client, db, username, password
):
    UserFactory(username="aysel")
    response = _log_in(client, username, password)
    assert response.status_code == 200
    text = response.content.decode()
    if username:
        # the same sentence for an unknown user and a wrong password: no user enumeration
        assert 'data-testid="login-error"' in text
        assert LOGIN_ERROR in text
    else:
        assert "This field is required." in text
    assert "_auth_user_id" not in client.session


def test_an_inactive_user_gets_the_same_message(client, db):
    UserFactory(username="gone", is_active=False)
    response = _log_in(client, "gone", PASSWORD)
    assert response.status_code == 200
    assert LOGIN_ERROR in response.content.decode()


def test_login_lands_on_the_dashboard_of_the_page_language(client, db):
    student_in(CohortFactory(), username="aysel")
    response = _log_in(client, "aysel", PASSWORD, lang="ru")
    assert response.status_code == 302
    assert response["Location"] == "/ru/dashboard/"


def test_login_returns_to_the_page_asked_for(client, db):
    admin = admin_of(CohortFactory().institution, username="admin")
    institution = admin.memberships.get().institution
    target = f"/en/institutions/{institution.pk}/"
    response = _log_in(client, "admin", PASSWORD, next=target)
    assert response["Location"] == target


def test_login_refuses_to_send_the_user_to_another_site(client, db):
    UserFactory(username="aysel")
    response = _log_in(client, "aysel", PASSWORD, next="https://evil.example.com/")
    assert response["Location"] == "/en/dashboard/"


def test_an_anonymous_visitor_of_the_dashboard_gets_the_login_page(client, db):
    response = client.get("/en/dashboard/", follow=True)
    assert response.redirect_chain == [("/en/accounts/login/?next=/en/dashboard/", 302)]
    assert response.status_code == 200
    assert 'name="next" value="/en/dashboard/"' in response.content.decode()


ROLE_SECTIONS = {
    "student": "student-home",
    "teacher": "teacher-home",
    "institution_admin": "institution-admin-home",
    "ministry_analyst": "ministry-home",
    "staff": "no-role-home",
}


def _user_with(role: str) -> User:
    cohort = CohortFactory(name="9-A")
    return {
        "student": lambda: student_in(cohort),
        "teacher": lambda: teacher_of(cohort),
        "institution_admin": lambda: admin_of(cohort.institution),
        "ministry_analyst": lambda: analyst(),
        "staff": lambda: staff_user(),
    }[role]()


@pytest.mark.parametrize("role", list(ROLE_SECTIONS))
def test_each_role_sees_its_own_section_of_the_dashboard(client, db, role):
    user = _user_with(role)
    response = _log_in(client, user.username, PASSWORD)
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    shown = {section for section in ROLE_SECTIONS.values() if f'data-testid="{section}"' in text}
    assert shown == {ROLE_SECTIONS[role]}
    assert f'data-testid="current-user">{user.display_name}<' in text


def test_a_user_with_two_roles_sees_both_sections(client, db):
    cohort = CohortFactory()
    user = teacher_of(cohort)
    MembershipFactory(user=user, role=Role.STUDENT)  # the same person studies elsewhere
    client.force_login(user)
    text = client.get("/en/dashboard/").content.decode()
    assert 'data-testid="teacher-home"' in text
    assert 'data-testid="student-home"' in text


def test_the_student_section_lists_their_classes(client, db):
    cohort = CohortFactory(name="9-Z")
    client.force_login(student_in(cohort))
    assert "9-Z" in client.get("/en/dashboard/").content.decode()


def test_logout_is_a_post_and_lands_on_the_login_page(client, db):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/en/accounts/logout/").status_code == 405  # a link cannot log you out
    assert "_auth_user_id" in client.session

    response = client.post("/en/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/en/dashboard/").status_code == 302


def test_the_page_header_offers_logout_as_a_form(client, db):
    client.force_login(UserFactory())
    text = client.get("/en/dashboard/").content.decode()
    assert re.search(r'<form method="post" action="/en/accounts/logout/"', text)


def test_password_change(client, db):
    user = UserFactory(username="aysel")
    client.force_login(user)
    assert client.get("/en/accounts/password_change/").status_code == 200

    response = client.post(
        "/en/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-secret-2026",
            "new_password2": "a-much-better-secret-2026",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password_change/done/"
    assert client.get(response["Location"]).status_code == 200
    client.logout()
    assert not client.login(username="aysel", password=PASSWORD)
    assert client.login(username="aysel", password="a-much-better-secret-2026")


def test_password_change_with_a_wrong_old_password_changes_nothing(client, db):
    user = UserFactory(username="aysel")
    client.force_login(user)
    response = client.post(
        "/en/accounts/password_change/",
        {
            "old_password": "not-it",
            "new_password1": "a-much-better-secret-2026",
            "new_password2": "a-much-better-secret-2026",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_needs_login(client, db):
    response = client.get("/en/accounts/password_change/")
    assert response["Location"] == "/en/accounts/login/?next=/en/accounts/password_change/"


def _reset_link(message) -> str:
    match = re.search(r"http://testserver(/en/accounts/reset/\S+/)", message.body)
    assert match, message.body
    return match[1]


def _reset_password(client, email: str, new_password: str) -> None:
    """Ask for the e-mail, follow its link, choose a new password."""
    response = client.post("/en/accounts/password_reset/", {"email": email})
    assert response["Location"] == "/en/accounts/password_reset/done/"
    [message] = mail.outbox
    assert message.to == [email]
    link = _reset_link(message)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert "Choose a new password" in form.content.decode()
    set_password_url = form.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    assert done["Location"] == "/en/accounts/reset/done/"


def test_password_reset_sends_a_working_link(client, db):
    UserFactory(username="aysel", email="aysel@example.az")
    _reset_password(client, "aysel@example.az", "a-brand-new-secret-2026")
    assert client.login(username="aysel", password="a-brand-new-secret-2026")


def test_an_imported_student_sets_a_first_password_through_reset(client, db):
    cohort = CohortFactory()
    student_import(
        cohort=cohort,
        data=student_csv([("murad.m", "Murad", "Mammadov", "murad@example.az")]),
    )
    assert not User.objects.get(username="murad.m").has_usable_password()

    _reset_password(client, "murad@example.az", "my-very-first-secret-2026")

    response = _log_in(client, "murad.m", "my-very-first-secret-2026")
    assert response["Location"] == "/en/dashboard/"
    assert 'data-testid="student-home"' in client.get("/en/dashboard/").content.decode()


def test_a_reset_link_works_once(client, db):
    UserFactory(username="aysel", email="aysel@example.az")
    _reset_password(client, "aysel@example.az", "a-brand-new-secret-2026")
    link = _reset_link(mail.outbox[0])
    response = client.get(link, follow=True)
    assert "This link has expired" in response.content.decode()


def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, db):
    UserFactory(username="aysel", email="aysel@example.az")
    known = client.post("/en/accounts/password_reset/", {"email": "aysel@example.az"}, follow=True)
    unknown = client.post(
        "/en/accounts/password_reset/", {"email": "nobody@example.az"}, follow=True
    )
    assert known.redirect_chain == unknown.redirect_chain
    assert "Check your e-mail" in unknown.content.decode()
    assert len(mail.outbox) == 1  # only the known address got one


def test_reset_reaches_nobody_for_an_inactive_account(client, db):
    UserFactory(username="gone", email="gone@example.az", is_active=False)
    client.post("/en/accounts/password_reset/", {"email": "gone@example.az"})
    assert mail.outbox == []
