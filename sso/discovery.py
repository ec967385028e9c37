"""Reading an issuer's OpenID Connect discovery document, once, when staff save a provider.

https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig: the document
lives at <issuer>/.well-known/openid-configuration and must name the same issuer; an
issuer that answers for another one is refused (a mix-up, or a typo in the admin).
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class DiscoveryFailed(Exception):
    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str  # "" when the provider has no RP-initiated logout


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_enough(url: str) -> bool:
    """https, or plain http to this machine (a provider a developer or a test runs)."""
    scheme = urlsplit(url).scheme
    return scheme == "https" or (scheme == "http" and is_loopback(url))


def discover(issuer: str) -> Discovery:
    """The provider's endpoints from its discovery document, or DiscoveryFailed saying why
    (also logged)."""
    if not secure_enough(issuer):
        raise _failed(issuer, "insecure_issuer", _("The issuer must be an https:// address."))
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.SSO_HTTP_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("sso discovery failed: issuer=%s error=%s", issuer, error)
        raise DiscoveryFailed(
            _(
                "The discovery document of this issuer could not be read at %(url)s. Check "
                "the issuer address."
            )
            % {"url": url},
            reason="unreachable",
        ) from error
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        found = document.get("issuer") if isinstance(document, dict) else None
        raise _failed(
            issuer,
            "unknown_issuer",
            _(
                "The discovery document at %(url)s is for another issuer (%(found)s). Write "
                "the issuer exactly as the provider names it."
            )
            % {"url": url, "found": found or "?"},
        )
    missing = [key for key in REQUIRED if not isinstance(document.get(key), str)]
    if missing:
        raise _failed(
            issuer,
            "incomplete",
            _("The discovery document does not name: %(missing)s.")
            % {"missing": ", ".join(missing)},
        )
    endpoints = [document[key] for key in REQUIRED]
    end_session = document.get("end_session_endpoint") or ""
    if not all(secure_enough(u) for u in [*endpoints, *([end_session] if end_session else [])]):
        raise _failed(
            issuer, "insecure_endpoint", _("Every endpoint of the provider must be https://.")
        )
    return Discovery(issuer, *endpoints, end_session_endpoint=end_session)


def _failed(issuer: str, reason: str, message: str) -> DiscoveryFailed:
    logger.warning("sso discovery refused: issuer=%s reason=%s", issuer, reason)
    return DiscoveryFailed(message, reason=reason)
