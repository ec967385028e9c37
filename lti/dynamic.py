"""LTI Dynamic Registration 1.0 (https://www.imsglobal.org/spec/lti-dr/v1p0), by hand:
pylti1p3 does not do it.

A platform admin makes a registration in the Django admin (its name and institution);
it waits with a one-time invitation, and the admin page shows its registration URL,
`/lti/register/?invite=...`. The LMS administrator pastes that URL into Moodle ("Tool
URL" of "Manage tools") or Canvas (Developer Keys, "LTI Registration"). The LMS opens it
with `openid_configuration` and `registration_token` added; the tool fetches the LMS's
configuration, posts its own client registration to the LMS's registration endpoint,
and stores what the LMS answers (client id, deployment). The invitation is then used up:
nobody else can register an LMS into that institution with it.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Registration, token_digest
from .tool import InsecureUrl, LmsSession, check_url, tool_url

log = logging.getLogger("lti")

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]


class RegistrationRefused(Exception):
    """Dynamic registration did not happen; `message` for the LMS admin, str() for the log."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.message = message


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def registration_invite(*, registration: Registration) -> str:
    """A new one-time invitation for `registration` (any earlier one stops working); the
    token itself is returned once, only its digest is kept."""
    token = secrets.token_urlsafe(32)
    registration.invite_digest = token_digest(token)
    registration.status = Registration.Status.WAITING
    registration.save(update_fields=["invite_digest", "status", "updated_at"])
    return token


def invite_url(token: str) -> str:
    return f"{tool_url('lti:register')}?{urlencode({'invite': token})}"


def invited(invite: str) -> Registration | None:
    if not invite:
        return None
    return Registration.objects.filter(
        invite_digest=token_digest(invite), status=Registration.Status.WAITING
    ).first()


def tool_client_metadata() -> dict:
    """What the tool asks the LMS to register (the spec's "tool configuration")."""
    launch = tool_url("lti:launch")
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool_url("lti:login"),
        "redirect_uris": [launch],
        "client_name": settings.LTI_TOOL_NAME,
        "jwks_uri": tool_url("lti:jwks"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(launch).netloc,
            "target_link_uri": launch,
            "description": str(_("Courses and auto-graded notebook exercises.")),
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": launch,
                    "label": str(_("Add exercises from the platform")),
                },
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch},
            ],
        },
    }


def _json(response: requests.Response, what: str) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise RegistrationRefused(
            f"{what}: not a JSON object (HTTP {response.status_code})",
            _("Your LMS answered the registration with something unexpected."),
        )
    return data


def registration_complete(
    *, invite: str, openid_configuration: str, registration_token: str
) -> Registration:
    """Register with the LMS and store the registration; raises RegistrationRefused (the
    invitation stays usable: nothing is stored)."""
    registration = invited(invite)
    if registration is None:
        raise RegistrationRefused(
            "unknown or used invitation",
            _(
                "This registration link is not valid or was already used. Ask the "
                "platform's administrators for a new one."
            ),
        )
    if not openid_configuration:
        raise RegistrationRefused(
            "no openid_configuration parameter",
            _("Open this link from your LMS's tool registration page, not directly."),
        )
    session = LmsSession()
    unreachable = _("The platform could not reach your LMS. Try again in a moment.")
    try:
        check_url(openid_configuration)
        answer = session.get(openid_configuration)
        answer.raise_for_status()
        config = _json(answer, "openid configuration")
        missing = [
            key
            for key in (
                "issuer",
                "registration_endpoint",
                "authorization_endpoint",
                "token_endpoint",
                "jwks_uri",
            )
            if not config.get(key)
        ]
        if missing:
            raise RegistrationRefused(
                f"openid configuration without {', '.join(missing)}",
                _("Your LMS's configuration lacks what LTI 1.3 needs (%(missing)s).")
                % {"missing": ", ".join(missing)},
            )
        issuer = str(config.get("issuer") or "")
        endpoint = str(config.get("registration_endpoint") or "")
        for url in (
            issuer,
            endpoint,
            config.get("authorization_endpoint", ""),
            config.get("token_endpoint", ""),
            config.get("jwks_uri", ""),
        ):
            check_url(str(url))
        headers = {"Accept": "application/json"}
        if registration_token:
            headers["Authorization"] = f"Bearer {registration_token}"
        answer = session.post(endpoint, json=tool_client_metadata(), headers=headers)
        if answer.status_code >= 400:
            raise RegistrationRefused(
                f"registration endpoint answered HTTP {answer.status_code}: {answer.text[:300]}",
                _("Your LMS refused the registration (HTTP %(status)s).")
                % {"status": answer.status_code},
            )
        client = _json(answer, "client registration")
    except InsecureUrl as exc:
        raise RegistrationRefused(
            str(exc), _("Your LMS must be reached over https to register the tool.")
        ) from exc
    except requests.RequestException as exc:
        raise RegistrationRefused(f"LMS unreachable: {exc}", unreachable) from exc
    client_id = str(client.get("client_id") or "")
    if not client_id:
        raise RegistrationRefused(
            "the LMS returned no client_id",
            _("Your LMS answered the registration without a client id."),
        )
    tool_config = client.get(TOOL_CONFIGURATION) or {}
    deployment = str(tool_config.get("deployment_id") or "")
    platform = config.get(PLATFORM_CONFIGURATION) or {}
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if (
            locked.status != Registration.Status.WAITING
            or Registration.objects.filter(issuer=issuer, client_id=client_id)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise RegistrationRefused(
                f"already registered: {issuer} {client_id}",
                _("This LMS tool is already registered with the platform."),
            )
        locked.issuer = issuer
        locked.client_id = client_id
        locked.deployment_ids = [deployment] if deployment else []
        locked.auth_login_url = config["authorization_endpoint"]
        locked.auth_token_url = config["token_endpoint"]
        locked.auth_audience = str(config.get("authorization_server") or "")
        locked.keyset_url = config["jwks_uri"]
        locked.frame_origins = sorted(
            {o for o in (origin(issuer), origin(openid_configuration)) if o}
        )
        locked.platform_name = " ".join(
            str(platform.get(k) or "") for k in ("product_family_code", "version")
        ).strip()[:200]
        locked.source = Registration.Source.DYNAMIC
        locked.status = Registration.Status.ACTIVE
        locked.invite_digest = ""
        locked.save()
    log.info(
        "LTI registration %s completed by dynamic registration: %s client %s",
        locked.pk,
        issuer,
        client_id,
    )
    return locked
