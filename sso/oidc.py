"""mozilla-django-oidc, fed one identity provider at a time.

The library reads one provider from Django settings (OIDC_*). Here each request names its
provider (a row of IdentityProvider), so its view and its backend are subclassed with a
`get_settings` that answers from that row. The library does the protocol: the
authorization request with state, nonce and PKCE (S256), kept in the session per state;
the token request with the code verifier; the signing key from the issuer's JWK Set; the
signature and the nonce. This module adds what the library leaves out or only warns
about: the issuer, the audience (and `azp`), expiry and issue time, the allowed
algorithms, a key id that the issuer really publishes, and a reason for every refusal
(`SignInRefused`) instead of a bare failure redirect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils.encoding import smart_str
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from .models import IdentityProvider

logger = logging.getLogger(__name__)

# What the platform accepts as an ID token signature: the issuer's public keys only (no
# HS256 with the client secret, never "none").
ALLOWED_ALGORITHMS = ("RS256", "ES256", "PS256")
CALLBACK_URL_NAME = "sso-callback"


class Reason:
    """Why a sign-in was refused: in the log line and the admin's list of sign-ins."""

    STATE = "state"  # no sign-in under way with this state: replayed, expired, forged
    PROVIDER_ERROR = "provider_error"  # the provider answered with an error
    DISABLED = "provider_disabled"
    ISSUER = "unknown_issuer"
    UNKNOWN_KEY = "unknown_key"
    SIGNATURE = "bad_signature"
    ALGORITHM = "algorithm"
    AUDIENCE = "audience"
    EXPIRED = "expired"
    NONCE = "nonce"
    CLAIMS = "claims"
    # the provider refused the code (or did not answer)
    TOKEN_REQUEST = "token_request"  # noqa: S105 (a reason, not a secret)
    INACTIVE = "inactive_account"


class SignInRefused(Exception):
    """A sign-in the platform will not complete; `detail` is for the log, never shown."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:300]


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a provider vouched for in an ID token whose every check passed."""

    provider: IdentityProvider
    subject: str  # the value of the provider's match claim
    claims: dict[str, Any]
    id_token: str  # kept in the session for the provider's logout (id_token_hint)

    @property
    def display_name(self) -> str:
        return str(self.claims.get("name") or self.claims.get("preferred_username") or "")


def _common_settings(provider: IdentityProvider) -> dict[str, Any]:
    return {
        "OIDC_RP_CLIENT_ID": provider.client_id,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": provider.authorization_endpoint,
        "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK_URL_NAME,
        "OIDC_RP_SCOPES": " ".join(provider.scope_list),
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_VERIFY_SSL": settings.SSO_VERIFY_TLS,
        "OIDC_TIMEOUT": settings.SSO_HTTP_TIMEOUT,
        "OIDC_PROXY": None,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
    }


def _lookup(values: dict[str, Any], attr: str, *default):
    if attr in values:
        return values[attr]
    if default:
        return default[0]
    raise ImproperlyConfigured(f"sso: no value for {attr}")


class ProviderAuthorizationView(OIDCAuthenticationRequestView):
    """The library's authorization request (state, nonce, PKCE) for one provider; call
    `start(request, provider)`. Returns the redirect to the provider and the state."""

    def __init__(self, provider: IdentityProvider) -> None:
        # the library reads its settings in __init__: the provider must be known first
        self.provider = provider
        self.values = _common_settings(provider)
        super().__init__()

    def get_settings(self, attr, *args):
        return _lookup(self.values, attr, *args)


class ProviderBackend(OIDCAuthenticationBackend):
    """The library's token request and ID token verification for one provider. Not an
    authentication backend of the project (it is never in AUTHENTICATION_BACKENDS): the
    callback calls `authenticate` itself and gets a VerifiedIdentity, not a user; which
    account that is, is sso.services' business."""

    def __init__(self, provider: IdentityProvider) -> None:
        self.provider = provider
        self.values = {
            **_common_settings(provider),
            "OIDC_OP_TOKEN_ENDPOINT": provider.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": None,  # the ID token's claims are enough, and signed
            "OIDC_OP_JWKS_ENDPOINT": provider.jwks_uri,
            "OIDC_RP_CLIENT_SECRET": provider.client_secret,
            # only tells the library to take the key from the JWK Set; _verify_jws checks
            # the real algorithm against ALLOWED_ALGORITHMS
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_RP_IDP_SIGN_KEY": None,
            "OIDC_TOKEN_USE_BASIC_AUTH": (
                provider.token_auth_method == IdentityProvider.TokenAuth.BASIC
            ),
        }
        super().__init__()

    def get_settings(self, attr, *args):
        return _lookup(self.values, attr, *args)

    # -- the token request ------------------------------------------------------------
    def get_token(self, payload):
        try:
            return super().get_token(payload)
        except requests.RequestException as error:
            raise SignInRefused(Reason.TOKEN_REQUEST, str(error)) from error

    # -- the ID token -----------------------------------------------------------------
    def verify_token(self, token, **kwargs):
        if not isinstance(token, str) or token.count(".") != 2:
            raise SignInRefused(Reason.CLAIMS, "no ID token in the token response")
        try:
            return super().verify_token(token, **kwargs)
        except SuspiciousOperation as error:
            # the library's own checks: the nonce (the others are ours and say why)
            raise SignInRefused(Reason.NONCE, str(error)) from error
        except jwt.DecodeError as error:
            raise SignInRefused(Reason.SIGNATURE, str(error)) from error

    def retrieve_matching_jwk(self, token):
        """The issuer's published key named by the token's `kid`, for its algorithm. The
        library's version needs a `kid` to exist and keeps the last key if several match;
        here a token without one is refused, as is one naming a key the issuer does not
        publish (signed by somebody else)."""
        header = jwt.get_unverified_header(token)
        kid, alg = header.get("kid"), header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise SignInRefused(Reason.ALGORITHM, f"alg={alg!r}")
        if not kid:
            raise SignInRefused(Reason.UNKNOWN_KEY, "the token names no key (kid)")
        try:
            response = requests.get(
                self.provider.jwks_uri,
                verify=settings.SSO_VERIFY_TLS,
                timeout=settings.SSO_HTTP_TIMEOUT,
            )
            response.raise_for_status()
            keys = response.json()["keys"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as error:
            raise SignInRefused(Reason.TOKEN_REQUEST, f"JWK Set: {error}") from error
        for jwk in keys:
            if jwk.get("kid") == smart_str(kid) and jwk.get("alg", alg) == alg:
                try:
                    return jwt.PyJWK(jwk, algorithm=alg)
                except jwt.PyJWKError as error:
                    raise SignInRefused(Reason.UNKNOWN_KEY, str(error)) from error
        raise SignInRefused(Reason.UNKNOWN_KEY, f"kid={kid!r} is not in {self.provider.jwks_uri}")

    def _verify_jws(self, payload, key):
        """The signature with the issuer's key, and the claims the library does not check
        (it decodes with verify_aud=False and never looks at `iss`)."""
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise SignInRefused(Reason.ALGORITHM, f"alg={alg!r}")
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=self.provider.client_id,
                issuer=self.provider.issuer,
                leeway=settings.SSO_CLOCK_LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidSignatureError as error:
            raise SignInRefused(Reason.SIGNATURE, str(error)) from error
        except jwt.InvalidIssuerError as error:
            found = jwt.decode(payload, options={"verify_signature": False}).get("iss")
            raise SignInRefused(Reason.ISSUER, f"iss={found!r}") from error
        except jwt.InvalidAudienceError as error:
            raise SignInRefused(Reason.AUDIENCE, str(error)) from error
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as error:
            raise SignInRefused(Reason.EXPIRED, str(error)) from error
        except jwt.InvalidTokenError as error:
            raise SignInRefused(Reason.CLAIMS, str(error)) from error
        # several audiences: the token must say it was issued to us (OIDC Core 3.1.3.7)
        audience = claims["aud"]
        if (
            isinstance(audience, list)
            and len(audience) > 1
            and claims.get("azp") != self.provider.client_id
        ):
            raise SignInRefused(Reason.AUDIENCE, f"azp={claims.get('azp')!r}")
        return claims

    # -- the result -------------------------------------------------------------------
    def get_or_create_user(self, access_token, id_token, payload):
        """Called by the library's `authenticate` once the ID token passed: returns what
        was verified. Creates nobody, and never looks at an e-mail address."""
        subject = payload.get(self.provider.match_claim)
        if not isinstance(subject, str | int) or isinstance(subject, bool) or subject == "":
            raise SignInRefused(Reason.CLAIMS, f"no {self.provider.match_claim!r} claim")
        return VerifiedIdentity(self.provider, str(subject), payload, id_token)

    def verify(self, request, *, nonce: str, code_verifier: str) -> VerifiedIdentity:
        """The callback's code exchanged and its ID token checked, or SignInRefused."""
        try:
            verified = self.authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except SuspiciousOperation as error:  # raised by the library outside our checks
            raise SignInRefused(Reason.CLAIMS, str(error)) from error
        if not isinstance(verified, VerifiedIdentity):
            raise SignInRefused(Reason.CLAIMS, "no code in the callback")
        return verified
