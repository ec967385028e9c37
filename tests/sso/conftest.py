"""The test OpenID provider (node's oidc-provider), one per test session of this folder,
and the platform's record of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sso import services
from sso.discovery import discover
from sso.models import IdentityProvider
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, OpenIDProvider, start_provider

RP = "http://testserver"


@pytest.fixture(scope="session")
def openid_provider(tmp_path_factory) -> Iterator[OpenIDProvider]:
    provider = start_provider(
        tmp_path_factory.mktemp("openid-provider"),
        redirect_uris=[f"{RP}/sso/callback/"],
        post_logout_redirect_uris=[f"{RP}/sso/logged-out/"],
    )
    yield provider
    provider.stop()


def register(openid_provider: OpenIDProvider, **fields) -> IdentityProvider:
    """The provider as staff save it in the admin: endpoints from its discovery document."""
    provider = IdentityProvider(
        name=fields.pop("name", "Test ID"),
        slug=fields.pop("slug", "test-id"),
        issuer=openid_provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        **fields,
    )
    services.provider_apply_discovery(provider=provider, discovery=discover(provider.issuer))
    provider.save()
    return provider


@pytest.fixture
def idp(db, openid_provider) -> IdentityProvider:
    return register(openid_provider)
