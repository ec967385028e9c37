"""Single sign-on in the browser, against a real OpenID provider (node's oidc-provider,
tests/sso/provider.py): a linked person presses "Sign in with ...", signs in on the
provider's page and lands on the dashboard, then logs out of both; a pupil imported by her
school signs in with the provider for the first time and links her account with the
one-time code from her card."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from people import logincodes
from people.imports import student_import
from people.models import User
from sso.models import ExternalIdentity
from tests.factories import CohortFactory, UserFactory, student_in, teacher_of
from tests.sso.conftest import register
from tests.sso.provider import OpenIDProvider, start_provider

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser_provider(live_server, tmp_path_factory) -> Iterator[OpenIDProvider]:
    provider = start_provider(
        tmp_path_factory.mktemp("openid-provider-e2e"),
        redirect_uris=[f"{live_server.url}/sso/callback/"],
        post_logout_redirect_uris=[f"{live_server.url}/sso/logged-out/"],
    )
    yield provider
    provider.stop()


def url(live_server, path: str) -> re.Pattern:
    return re.compile(re.escape(f"{live_server.url}{path}") + r"(\?.*)?$")


def sign_in_at_provider(page: Page, login: str) -> None:
    """The provider's own (development) pages: any password signs in as `login`."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("whatever-the-idp-asks")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_a_person_signs_in_with_the_provider_and_lands_on_the_dashboard(
    page: Page, live_server, browser_provider
):
    provider = register(browser_provider, name="ASAN Login", slug="asan")
    cohort = CohortFactory(name="9-B")
    person = student_in(cohort, username="rashad.aliyev", first_name="Rashad", last_name="Aliyev")
    ExternalIdentity.objects.create(provider=provider, subject="AZ-1234567", user=person)

    page.goto("/en/accounts/login/")
    page.get_by_role("link", name="Sign in with ASAN Login").click()
    expect(page).to_have_url(re.compile(re.escape(browser_provider.issuer)))
    sign_in_at_provider(page, "AZ-1234567")

    expect(page).to_have_url(url(live_server, "/en/dashboard/"))
    expect(page.get_by_test_id("current-user")).to_have_text("Rashad Aliyev")
    expect(page.get_by_test_id("student-home")).to_be_visible()

    # Logging out ends the platform's session and, at the provider, its own.
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(url(live_server, "/en/accounts/login/"))
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    page.get_by_role("link", name="Sign in with ASAN Login").click()
    expect(page.locator("input[name=login]")).to_be_visible()  # asked to sign in again


def test_a_new_provider_user_links_an_imported_pupil_with_her_one_time_code(
    page: Page, live_server, browser_provider
):
    register(browser_provider, name="ASAN Login", slug="asan")
    cohort = CohortFactory(name="9-A")
    teacher = teacher_of(cohort, username="teacher.a")
    assert student_import(
        cohort=cohort, data=b"username,first_name,last_name\r\naysel.aliyeva,Aysel,Aliyeva\r\n"
    ).ok
    (card,) = logincodes.login_sheet_issue(actor=teacher, cohort=cohort, site_url=live_server.url)
    # someone else's account has the address the provider gives: it must not matter
    UserFactory(username="other", email="AZ-7654321@idp.test")

    page.goto("/en/accounts/login/")
    page.get_by_role("link", name="Sign in with ASAN Login").click()
    sign_in_at_provider(page, "AZ-7654321")

    expect(page).to_have_url(url(live_server, "/en/sso/link/"))
    expect(page.get_by_test_id("sso-link-intro")).to_contain_text("You signed in with ASAN Login")
    expect(page.get_by_test_id("sso-no-code")).to_contain_text("never links accounts by e-mail")
    page.get_by_label("Username").fill("aysel.aliyeva")
    page.get_by_label("One-time code").fill("WRONG-CODE")
    page.get_by_role("button", name="Link and sign in").click()
    expect(page.get_by_test_id("sso-link-error")).to_contain_text("not right")
    page.get_by_label("Username").fill("aysel.aliyeva")
    page.get_by_label("One-time code").fill(card.display_code)
    page.get_by_role("button", name="Link and sign in").click()

    expect(page).to_have_url(url(live_server, "/en/dashboard/"))
    expect(page.get_by_test_id("current-user")).to_have_text("Aysel Aliyeva")
    expect(page.locator(".msg.success")).to_contain_text("Your account is now linked to ASAN Login")
    pupil = User.objects.get(username="aysel.aliyeva")
    assert ExternalIdentity.objects.get(user=pupil).subject == "AZ-7654321"
