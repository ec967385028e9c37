"""Staff set up identity providers in the Django admin: the endpoints come from the
issuer's discovery document; a wrong issuer is refused with the reason and saves nothing."""

from __future__ import annotations

import logging

import pytest

from sso.models import IdentityProvider, SignInEvent
from tests.factories import staff_user
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.django_db

ADD = "/django-admin/sso/identityprovider/add/"


@pytest.fixture
def staff_client(client):
    client.force_login(staff_user(username="platform.staff", is_superuser=True))
    return client


def form(issuer: str, **changes) -> dict:
    return {
        "name": "ASAN Login",
        "slug": "asan",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token_auth_method": "client_secret_basic",
        "scopes": "openid",
        "match_claim": "sub",
        "enabled": "on",
        **changes,
    }


def test_staff_add_a_provider_by_its_issuer(staff_client, openid_provider):
    response = staff_client.post(ADD, form(openid_provider.issuer))

    assert response.status_code == 302, response.content.decode()[:3000]
    provider = IdentityProvider.objects.get()
    assert provider.authorization_endpoint == f"{openid_provider.issuer}/auth"
    assert provider.token_endpoint == f"{openid_provider.issuer}/token"
    assert provider.jwks_uri == f"{openid_provider.issuer}/jwks"
    assert provider.end_session_endpoint == f"{openid_provider.issuer}/session/end"
    # and the login page offers it
    assert "Sign in with ASAN Login" in staff_client.get("/en/accounts/login/").content.decode()


@pytest.mark.parametrize(
    ("issuer", "says"),
    [
        # the document names the issuer without the slash: another issuer
        (lambda p: p.issuer + "/", "is for another issuer"),
        (lambda p: p.issuer + "/nothing-here", "could not be read"),
        (lambda p: "http://id.example.az", "must be an https:// address"),
    ],
    ids=["another-issuer", "no-document", "plain-http"],
)
def test_an_issuer_that_does_not_check_out_is_refused(
    staff_client, openid_provider, caplog, issuer, says
):
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = staff_client.post(ADD, form(issuer(openid_provider)))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not IdentityProvider.objects.exists()
    assert "sso discovery" in caplog.text


def test_the_secret_is_never_shown_and_kept_when_left_empty(staff_client, idp):
    change = f"/django-admin/sso/identityprovider/{idp.pk}/change/"
    page = staff_client.get(change).content.decode()
    assert idp.client_secret not in page
    assert "/sso/callback/" in page  # the redirect URI to register at the provider

    data = form(idp.issuer, name="Test ID renamed", slug=idp.slug, client_secret="")
    assert staff_client.post(change, data).status_code == 302
    idp.refresh_from_db()
    assert (idp.name, idp.client_secret) == ("Test ID renamed", CLIENT_SECRET)


def test_the_provider_page_lists_recent_sign_ins_with_their_reasons(staff_client, idp):
    SignInEvent.objects.create(
        provider=idp, outcome=SignInEvent.Outcome.REFUSED, reason="unknown_key", detail="kid=x"
    )
    page = staff_client.get(f"/django-admin/sso/identityprovider/{idp.pk}/change/")
    assert "unknown_key" in page.content.decode() and "kid=x" in page.content.decode()
    listing = staff_client.get("/django-admin/sso/signinevent/?outcome=refused")
    assert "unknown_key" in listing.content.decode()
