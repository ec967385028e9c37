"""What single sign-on keeps in the platform's session, and the provider's logout."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from .models import IdentityProvider

# state -> {"provider": pk, "language": code}: which provider a sign-in under way is with
# (mozilla-django-oidc keeps its nonce and PKCE verifier under "oidc_states")
STATES_KEY = "sso.states"
# a verified subject not linked yet, waiting for its one-time code
PENDING_KEY = "sso.pending"
# the provider this session was signed in with, and its ID token, for the provider's logout
SESSION_KEY = "sso.session"


def provider_logout_url(request: HttpRequest) -> str | None:
    """The provider's end_session_endpoint for this session (RP-initiated logout), with
    the ID token as hint and the platform's landing as the way back; None when the session
    did not come from a provider that has one. Called before the session ends."""
    found = request.session.get(SESSION_KEY)
    if not isinstance(found, dict):
        return None
    provider = IdentityProvider.objects.filter(pk=found.get("provider")).first()
    if provider is None or not provider.end_session_endpoint:
        return None
    params = {
        "client_id": provider.client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("sso-logged-out")),
    }
    if found.get("id_token"):
        params["id_token_hint"] = found["id_token"]
    separator = "&" if "?" in provider.end_session_endpoint else "?"
    return f"{provider.end_session_endpoint}{separator}{urlencode(params)}"
