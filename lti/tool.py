"""The platform as pylti1p3 sees it: registrations from the database, the tool's key, an
HTTP session with timeouts, and a message launch that checks more than pylti1p3 does.

pylti1p3 (https://github.com/dmitry-viskov/pylti1.3) validates the OIDC state, the
nonce it issued, the registration, the signature against the LMS's JWKS, the deployment
and the message. It does not check the audience in the signature check
(`verify_aud: False`), does not require `exp`/`iat`, and accepts the same id_token again
(a page reload); `PlatformLaunch` adds those checks, and consumes each nonce once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto.jwk import JWK
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration as PyltiRegistration
from pylti1p3.tool_config import ToolConfAbstract

from .models import Registration, ToolKey, UsedNonce

log = logging.getLogger("lti")

# nonces older than this are forgotten (an id_token that old has expired anyway)
NONCE_MEMORY = timezone.timedelta(days=1)


class LaunchError(LtiException):
    """A launch refused, with a message for the person (`message`) and the reason for the
    log and the admin (`str(exc)`)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.message = message


# Why a launch was refused (pylti1p3's English reasons, and ours) -> what the person in
# front of the LMS is told. First match wins.
_MESSAGES = [
    (
        ("registration", "client id not registered", "could not find issuer"),
        lambda: _(
            "This LMS is not registered with the platform. Ask the platform's "
            "administrators to add it (LTI registrations)."
        ),
    ),
    (("wrong audience",), lambda: _("The launch was meant for another tool.")),
    (
        ("token expired", "not yet valid", "issued in the future"),
        lambda: _("The launch has expired. Open the activity again from your LMS course."),
    ),
    (
        ("cookie",),
        lambda: _(
            "Your browser did not keep the platform's cookies inside the LMS page. Ask "
            "your LMS administrator to open the tool in a new window, or allow cookies "
            "for the platform."
        ),
    ),
    (
        ("nonce", "state not found", "missing state"),
        lambda: _(
            "This launch was already used or has expired. Open the activity again from "
            "your LMS course."
        ),
    ),
    (
        ("public key", "signature", "jwt kid", "jwt alg", "decode"),
        lambda: _(
            "The launch was not signed with a key of your LMS, so it cannot be trusted. "
            "Ask your LMS administrator to check the tool's registration."
        ),
    ),
    (
        ("deployment",),
        lambda: _("This deployment of the tool is not registered with the platform."),
    ),
]


def person_message(reason: str) -> str:
    text = reason.lower()
    for needles, message in _MESSAGES:
        if any(needle in text for needle in needles):
            return message()
    return _("The launch could not be verified. Open the activity again from your LMS course.")


# ---------------------------------------------------------------------------------------
# HTTP to the LMSs
# ---------------------------------------------------------------------------------------


class InsecureUrl(requests.RequestException):
    pass


def check_url(url: str) -> str:
    """An LMS URL the platform may call: https (http only where the settings allow)."""
    scheme = urlsplit(url or "").scheme
    if scheme == "https" or (scheme == "http" and settings.LTI_ALLOW_INSECURE_URLS):
        return url
    raise InsecureUrl(f"not an https URL: {url!r}")


class LmsSession(requests.Session):
    """Every request with a timeout, and only to https URLs: pylti1p3 sets neither."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = "national-skills-platform-lti"

    def request(self, method, url, *args, **kwargs):
        check_url(url)
        kwargs.setdefault("timeout", settings.LTI_HTTP_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


# ---------------------------------------------------------------------------------------
# The tool's key
# ---------------------------------------------------------------------------------------


def signing_key() -> ToolKey:
    """The key that signs; made at first use (a fresh install has none)."""
    key = ToolKey.objects.filter(signing=True).first()
    if key is not None:
        return key
    return rotate_key()


@transaction.atomic
def rotate_key() -> ToolKey:
    """A new signing key; the older ones stay published (the LMSs may have cached them)."""
    jwk = JWK.generate(kty="RSA", size=2048)
    kid = jwk.thumbprint()
    public = jwk.export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    ToolKey.objects.filter(signing=True).update(signing=False)
    return ToolKey.objects.create(
        kid=kid,
        private_key_pem=jwk.export_to_pem(private_key=True, password=None).decode(),
        public_jwk=public,
        signing=True,
    )


def public_jwks() -> dict:
    """The JWK Set of /lti/jwks/: every key, the signing one first."""
    signing_key()
    return {"keys": [key.public_jwk for key in ToolKey.objects.order_by("-signing", "-pk")]}


def tool_url(name: str) -> str:
    """An absolute URL of the tool, as the LMSs know it (LTI_TOOL_URL, not the request's
    host: a proxy in front may change it, and the LMS compares redirect URIs exactly)."""
    return settings.LTI_TOOL_URL.rstrip("/") + reverse(name)


# ---------------------------------------------------------------------------------------
# Registrations as pylti1p3 wants them
# ---------------------------------------------------------------------------------------


class ToolRegistration(PyltiRegistration):
    """A pylti1p3 registration signing with the tool's key under its published kid."""

    def __init__(self, model: Registration, key: ToolKey) -> None:
        self.model = model
        self._kid = key.kid
        self.set_issuer(model.issuer)
        self.set_client_id(model.client_id)
        self.set_key_set_url(model.keyset_url)
        self.set_auth_token_url(model.auth_token_url)
        self.set_auth_login_url(model.auth_login_url)
        if model.auth_audience:
            self.set_auth_audience(model.auth_audience)
        self.set_tool_private_key(key.private_key_pem)

    def get_kid(self) -> str:
        return self._kid

    def get_jwks(self):
        return public_jwks()["keys"]


def registration_for(model: Registration) -> ToolRegistration:
    return ToolRegistration(model, signing_key())


class ToolConf(ToolConfAbstract):
    """Registrations of the database: an issuer may have several client ids (two Moodle
    tools, test and production), so look-ups are by issuer and client id."""

    def __init__(self) -> None:
        self.registration: Registration | None = None  # the one found last

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _find(self, iss: str, client_id: str | None) -> Registration | None:
        found = Registration.objects.filter(issuer=iss, status=Registration.Status.ACTIVE).exclude(
            client_id=""
        )
        if client_id:
            found = found.filter(client_id=client_id)
        candidates = list(found[:2])
        # without a client id (an LMS that does not send one at login), only an issuer
        # with one registration is known
        return candidates[0] if len(candidates) == 1 else None

    def find_registration_by_issuer(self, iss: str, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss: str, client_id, *args, **kwargs):
        self.registration = self._find(iss, client_id)
        if self.registration is None:
            return None
        return registration_for(self.registration)

    def find_deployment(self, iss: str, deployment_id: str):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id, *args, **kwargs):
        model = self._find(iss, client_id)
        if model is None or not deployment_id:
            return None
        if deployment_id in model.deployment_ids or model.accept_new_deployments:
            return Deployment().set_deployment_id(deployment_id)
        return None

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return public_jwks()


def launch_storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name=settings.LTI_CACHE)


# ---------------------------------------------------------------------------------------
# The launch
# ---------------------------------------------------------------------------------------


class PlatformLaunch(DjangoMessageLaunch):
    """pylti1p3's launch, with the signature check done in full (audience, expiry, issued
    at, issuer) and each nonce used once."""

    def __init__(self, request, tool_config: ToolConf, **kwargs) -> None:
        # from_cache() passes these as None
        kwargs["launch_data_storage"] = kwargs.get("launch_data_storage") or launch_storage()
        kwargs["requests_session"] = kwargs.get("requests_session") or LmsSession()
        super().__init__(request, tool_config, **kwargs)
        self.set_launch_data_lifetime(settings.LTI_LAUNCH_LIFETIME)

    @property
    def registration_model(self) -> Registration | None:
        return self._tool_config.registration

    def fetch_public_key(self, key_set_url: str):
        try:
            check_url(key_set_url)
        except InsecureUrl as exc:
            raise LtiException(f"Unable to find public key: {exc}") from exc
        return super().fetch_public_key(key_set_url)

    def validate_registration(self):
        try:
            return super().validate_registration()
        except LtiException:
            # a known LMS, but a token for another of its clients: say which it is
            issuer = self._get_jwt_body().get("iss")
            if Registration.objects.filter(
                issuer=issuer, status=Registration.Status.ACTIVE
            ).exists():
                raise LtiException(
                    f"Wrong audience: {self.get_client_id()!r} is no client id of {issuer}"
                ) from None
            raise

    def validate_jwt_signature(self):
        id_token = self._get_id_token()
        public_key, key_alg = self.get_public_key()
        client_id = self._registration.get_client_id()
        try:
            claims = jwt.decode(
                id_token,
                public_key,
                algorithms=[key_alg],
                audience=client_id,
                issuer=self._registration.get_issuer(),
                options={"require": ["exp", "iat", "aud", "iss", "nonce"]},
                leeway=60,  # clocks of an LMS and of the platform disagree a little
            )
        except jwt.InvalidAudienceError as exc:
            raise LtiException(f"Wrong audience: {exc}") from exc
        except jwt.ExpiredSignatureError as exc:
            raise LtiException(f"Token expired: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise LtiException(f"Can't decode id_token (signature): {exc}") from exc
        # several audiences: the token says which one it was issued to (OIDC Core 3.1.3.7)
        several = isinstance(claims["aud"], list) and len(claims["aud"]) > 1
        if several and claims.get("azp") != client_id:
            raise LtiException("Wrong audience: azp is not the tool's client id")
        self._consume_nonce(claims["iss"], claims["nonce"])
        return self

    @staticmethod
    def _consume_nonce(issuer: str, nonce: str) -> None:
        """Record the nonce; seen before, the launch is a replay. pylti1p3 only checks the
        nonce was issued by our login, and would take the same token again."""
        UsedNonce.objects.filter(used_at__lt=timezone.now() - NONCE_MEMORY).delete()
        try:
            with transaction.atomic():
                UsedNonce.objects.create(issuer=issuer, nonce=nonce[:255])
        except IntegrityError:
            raise LtiException("Invalid Nonce: already used (a replayed launch)") from None


def launch_digest(claims: dict) -> str:
    """A short fingerprint of a launch for log lines (never the token itself)."""
    return hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).hexdigest()[:12]
