"""Signing in with an OpenID Connect provider, end to end: the platform (Django's test
client) and a real provider (node's oidc-provider over HTTP), a person's browser between
them (requests). The attacks first: tampered and forged ID tokens, replayed states, codes
without their PKCE verifier, e-mail addresses that must not match."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.test import Client

from people import logincodes
from people.imports import student_import
from people.models import User
from sso.models import ExternalIdentity, IdentityProvider, SignInEvent
from sso.oidc import ProviderBackend
from tests.factories import CohortFactory, UserFactory, teacher_of
from tests.sso.conftest import RP
from tests.sso.provider import CLIENT_ID, new_key, sign_in_at_provider

pytestmark = pytest.mark.django_db

DASHBOARD = "/en/dashboard/"
LINK = "/en/sso/link/"


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def begin(client, slug: str = "test-id", query: str = "") -> str:
    response = client.get(f"/en/sso/{slug}/login/{query}")
    assert response.status_code == 302
    return response["Location"]


def at_provider(client, login: str, slug: str = "test-id", query: str = "") -> str:
    """Press the button, sign in at the provider: the callback address it sends back."""
    return sign_in_at_provider(requests.Session(), begin(client, slug, query), login=login, rp=RP)


def sign_in(client, login: str, **kwargs):
    return client.get(at_provider(client, login, **kwargs).removeprefix(RP))


def signed_in_user(client):
    response = client.get(DASHBOARD)
    return response.wsgi_request.user if response.status_code == 200 else None


def linked(user: User):
    return ExternalIdentity.objects.filter(user=user)


def replace_id_token(monkeypatch, change):
    """The token response as the platform receives it, its ID token changed by `change`
    (an attacker on the way, or a provider that is not the one it says)."""
    original = ProviderBackend.get_token

    def get_token(self, payload):
        answer = original(self, payload)
        answer["id_token"] = change(answer["id_token"])
        return answer

    monkeypatch.setattr(ProviderBackend, "get_token", get_token)


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_refused(response, caplog, reason: str, says: str):
    assert response.status_code == 400
    assert says in response.content.decode()
    assert "no account was created or linked" in response.content.decode()
    assert any(f"reason={reason}" in r.getMessage() for r in caplog.records), caplog.text


def import_pupil(username="aysel.aliyeva"):
    cohort = CohortFactory(name="9-A")
    teacher = teacher_of(cohort, username="teacher.a")
    data = f"username,first_name,last_name,email\r\n{username},Aysel,Aliyeva,\r\n".encode()
    assert student_import(cohort=cohort, data=data).ok
    (card,) = logincodes.login_sheet_issue(actor=teacher, cohort=cohort, site_url=RP)
    return User.objects.get(username=username), card.display_code


# ---------------------------------------------------------------------------------------
# the code flow
# ---------------------------------------------------------------------------------------
def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(client, idp):
    query = parse_qs(urlsplit(begin(client)).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"{RP}/sso/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert "openid" in query["scope"][0].split()


def test_a_linked_person_signs_in_and_lands_on_the_dashboard(client, idp):
    user = UserFactory(username="rashad")
    ExternalIdentity.objects.create(provider=idp, subject="rashad-at-idp", user=user)

    response = sign_in(client, "rashad-at-idp")

    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert signed_in_user(client) == user
    assert linked(user).get().last_used_at is not None
    event = SignInEvent.objects.get()
    assert (event.outcome, event.user) == (SignInEvent.Outcome.SIGNED_IN, user)


def test_the_page_asked_for_before_login_opens_after_it(client, idp):
    user = UserFactory(username="rashad")
    ExternalIdentity.objects.create(provider=idp, subject="rashad-at-idp", user=user)
    response = sign_in(client, "rashad-at-idp", query="?next=/en/accounts/password_change/")
    assert response["Location"] == "/en/accounts/password_change/"
    outside = sign_in(client, "rashad-at-idp", query="?next=https://evil.example/")
    assert outside["Location"] == DASHBOARD


def test_an_email_address_never_picks_the_account(client, idp):
    """The provider says the person is aysel@idp.test; an account with that address exists.
    It is not signed in: only a link made with the institution's code counts."""
    owner = UserFactory(username="someone.else", email="aysel@idp.test")

    response = sign_in(client, "aysel")

    assert response.status_code == 302 and response["Location"] == LINK
    assert signed_in_user(client) is None
    assert not ExternalIdentity.objects.exists()
    assert not linked(owner).exists()


def test_the_login_page_has_a_button_per_enabled_provider(client, openid_provider, idp):
    IdentityProvider.objects.create(
        name="Old university ID",
        slug="old",
        issuer="https://id.old-university.example",
        client_id="platform",
        client_secret="secret",
        authorization_endpoint="https://id.old-university.example/auth",
        token_endpoint="https://id.old-university.example/token",
        jwks_uri="https://id.old-university.example/jwks",
        enabled=False,
    )
    page = client.get("/en/accounts/login/").content.decode()
    assert "Sign in with Test ID" in page and 'href="/en/sso/test-id/login/"' in page
    assert "Old university ID" not in page
    assert client.get("/en/sso/old/login/").status_code == 404


def test_the_login_page_in_azerbaijani_and_russian(client, idp):
    for language in ("az", "ru"):
        page = client.get(f"/{language}/accounts/login/").content.decode()
        assert f'href="/{language}/sso/test-id/login/"' in page


# ---------------------------------------------------------------------------------------
# first sign-in: link with the institution's one-time code
# ---------------------------------------------------------------------------------------
def test_a_new_subject_links_an_imported_pupil_with_the_code_from_her_card(client, idp):
    pupil, code = import_pupil()
    assert sign_in(client, "aysel-national-id")["Location"] == LINK
    page = client.get(LINK).content.decode()
    assert "You signed in with Test ID." in page
    assert "never links accounts by e-mail address" in page

    response = client.post(LINK, {"username": "aysel.aliyeva", "code": code})

    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert signed_in_user(client) == pupil
    assert linked(pupil).get().subject == "aysel-national-id"
    assert not pupil.login_codes.filter(used_at__isnull=True, revoked_at__isnull=True).exists()
    assert not User.objects.get(pk=pupil.pk).has_usable_password()  # no password was made

    # next time, straight in; and the used code links nobody else
    client.logout()
    assert sign_in(client, "aysel-national-id")["Location"] == DASHBOARD
    client.logout()
    assert sign_in(client, "intruder")["Location"] == LINK
    again = client.post(LINK, {"username": "aysel.aliyeva", "code": code})
    assert again.status_code == 400 and "already used" in again.content.decode()
    assert linked(pupil).count() == 1


def test_a_wrong_code_links_nothing_and_counts_as_a_guess(client, idp):
    pupil, code = import_pupil()
    sign_in(client, "guesser")
    wrong = "ABCD-EFGH" if code != "ABCD-EFGH" else "HGFE-DCBA"

    response = client.post(LINK, {"username": "aysel.aliyeva", "code": wrong})

    assert response.status_code == 400
    assert "The username or the code is not right" in response.content.decode()
    assert not ExternalIdentity.objects.exists()
    assert signed_in_user(client) is None
    assert pupil.login_codes.get().failed_attempts == 1


def test_an_account_already_linked_at_the_provider_keeps_its_link_and_the_code(client, idp):
    pupil, code = import_pupil()
    ExternalIdentity.objects.create(provider=idp, subject="the-real-aysel", user=pupil)
    sign_in(client, "someone-else")

    response = client.post(LINK, {"username": "aysel.aliyeva", "code": code})

    assert response.status_code == 400
    assert "already linked to another Test ID account" in response.content.decode()
    assert list(linked(pupil).values_list("subject", flat=True)) == ["the-real-aysel"]
    assert pupil.login_codes.get().used_at is None  # the code still works


def test_the_link_page_without_a_sign_in_sends_back_to_login(client, idp):
    response = client.post(LINK, {"username": "x", "code": "ABCD-EFGH"})
    assert response.status_code == 302 and response["Location"].startswith("/en/accounts/login/")


# ---------------------------------------------------------------------------------------
# attacks on the ID token: refused, said, logged, nothing made
# ---------------------------------------------------------------------------------------
@pytest.fixture
def victim(idp):
    user = UserFactory(username="victim")
    ExternalIdentity.objects.create(provider=idp, subject="victim-sub", user=user)
    return user


def forged(openid_provider, token: str, **changes) -> str:
    claims = {**claims_of(token), **changes}
    return openid_provider.sign(claims)


def assert_nobody_signed_in(client):
    assert signed_in_user(client) is None
    assert not SignInEvent.objects.exclude(outcome=SignInEvent.Outcome.REFUSED).exists()
    assert ExternalIdentity.objects.count() == 1  # the victim's, nothing new


def test_a_tampered_id_token_is_refused(client, victim, monkeypatch, caplog):
    """The subject changed on the way (the signature no longer matches)."""

    def tamper(token):
        header, _, signature = token.split(".")
        claims = {**claims_of(token), "sub": "victim-sub"}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{body}.{signature}"

    replace_id_token(monkeypatch, tamper)
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = sign_in(client, "attacker")
    assert_refused(response, caplog, "bad_signature", "could not be verified")
    assert_nobody_signed_in(client)
    assert SignInEvent.objects.get().reason == "bad_signature"


def test_a_token_signed_with_an_unknown_key_is_refused(client, victim, monkeypatch, caplog):
    intruder = new_key()
    replace_id_token(
        monkeypatch,
        lambda token: forged_with(intruder, token, kid="intruder-key", sub="victim-sub"),
    )
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = sign_in(client, "attacker")
    assert_refused(response, caplog, "unknown_key", "could not be verified")
    assert_nobody_signed_in(client)


def forged_with(key, token, *, kid, **changes):
    return jwt.encode({**claims_of(token), **changes}, key, algorithm="RS256", headers={"kid": kid})


def test_an_unsigned_token_is_refused(client, victim, monkeypatch, caplog):
    replace_id_token(
        monkeypatch,
        lambda token: jwt.encode({**claims_of(token), "sub": "victim-sub"}, None, algorithm="none"),
    )
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = sign_in(client, "attacker")
    assert_refused(response, caplog, "algorithm", "could not be verified")
    assert_nobody_signed_in(client)


@pytest.mark.parametrize(
    ("changes", "reason", "says"),
    [
        (
            {"iss": "https://evil.example"},
            "unknown_issuer",
            "an issuer this platform does not know",
        ),
        ({"aud": "another-application"}, "audience", "not meant for this sign-in"),
        ({"aud": [CLIENT_ID, "other"], "azp": "other"}, "audience", "not meant for this sign-in"),
        ({"nonce": "from-another-sign-in"}, "nonce", "not meant for this sign-in"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "expired", "has expired"),
    ],
    ids=["issuer", "audience", "azp", "nonce", "expired"],
)
def test_a_token_signed_by_the_provider_with_a_wrong_claim_is_refused(
    client, victim, openid_provider, monkeypatch, caplog, changes, reason, says
):
    replace_id_token(
        monkeypatch, lambda token: forged(openid_provider, token, sub="victim-sub", **changes)
    )
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = sign_in(client, "attacker")
    assert_refused(response, caplog, reason, says)
    assert_nobody_signed_in(client)


def test_the_real_token_re_signed_by_the_test_passes(client, victim, openid_provider, monkeypatch):
    """The forging helper itself makes tokens the platform accepts when nothing is wrong:
    the refusals above are for the changed claim, not for the way the tests sign."""
    replace_id_token(monkeypatch, lambda token: forged(openid_provider, token, sub="victim-sub"))
    assert sign_in(client, "attacker")["Location"] == DASHBOARD
    assert signed_in_user(client) == victim


def test_an_issuer_naming_another_in_the_callback_is_refused(client, victim, caplog):
    callback = at_provider(client, "victim-sub")
    mixed = callback.replace("iss=http", "iss=https%3A%2F%2Fevil.example%2F&x=http", 1)
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = client.get(mixed.removeprefix(RP))
    assert_refused(response, caplog, "unknown_issuer", "an issuer this platform does not know")
    assert signed_in_user(client) is None


# ---------------------------------------------------------------------------------------
# replays
# ---------------------------------------------------------------------------------------
def test_a_state_works_once(client, victim, caplog):
    callback = at_provider(client, "victim-sub").removeprefix(RP)
    assert client.get(callback)["Location"] == DASHBOARD
    client.logout()
    with caplog.at_level(logging.WARNING, logger="sso"):
        replay = client.get(callback)
    assert_refused(replay, caplog, "state", "already finished")
    assert signed_in_user(client) is None


def test_a_callback_from_another_browser_is_refused(client, victim, caplog):
    """The code and state of a sign-in started elsewhere (login CSRF): this browser never
    started it, so it has no state, nonce or verifier for it."""
    callback = at_provider(Client(), "victim-sub").removeprefix(RP)
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = client.get(callback)
    assert_refused(response, caplog, "state", "not started in this browser")
    assert signed_in_user(client) is None


def test_a_code_without_its_pkce_verifier_is_refused_by_the_provider(client, victim, caplog):
    callback = at_provider(client, "victim-sub").removeprefix(RP)
    session = client.session
    for entry in session["oidc_states"].values():
        entry["code_verifier"] = "x" * 64
    session.save()
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = client.get(callback)
    assert_refused(response, caplog, "token_request", "did not accept the sign-in")
    assert signed_in_user(client) is None


def test_the_provider_saying_no_is_refused_with_a_message(client, idp, caplog):
    state = parse_qs(urlsplit(begin(client)).query)["state"][0]
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = client.get(f"/sso/callback/?error=access_denied&state={state}")
    assert_refused(response, caplog, "provider_error", "Test ID did not sign you in")


def test_a_provider_switched_off_during_the_sign_in_is_refused(client, victim, idp, caplog):
    callback = at_provider(client, "victim-sub").removeprefix(RP)
    idp.enabled = False
    idp.save()
    with caplog.at_level(logging.WARNING, logger="sso"):
        response = client.get(callback)
    assert_refused(response, caplog, "provider_disabled", "switched off")
    assert signed_in_user(client) is None
