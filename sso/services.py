"""Writes of single sign-on: finishing a sign-in, linking an account, the record of both."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people import logincodes
from people.models import User

from . import selectors
from .discovery import Discovery
from .models import ExternalIdentity, IdentityProvider, SignInEvent
from .oidc import Reason, SignInRefused, VerifiedIdentity

logger = logging.getLogger(__name__)


def provider_apply_discovery(*, provider: IdentityProvider, discovery: Discovery) -> None:
    """The endpoints of the issuer's discovery document, on the (unsaved) provider."""
    provider.authorization_endpoint = discovery.authorization_endpoint
    provider.token_endpoint = discovery.token_endpoint
    provider.jwks_uri = discovery.jwks_uri
    provider.end_session_endpoint = discovery.end_session_endpoint
    provider.discovered_at = timezone.now()


def sign_in_refused(*, provider: IdentityProvider | None, refused: SignInRefused) -> None:
    """The log line (always) and the admin's record (when the provider is known)."""
    logger.warning(
        "sso sign-in refused: provider=%s reason=%s detail=%s",
        provider.slug if provider else "?",
        refused.reason,
        refused.detail,
    )
    if provider is not None:
        SignInEvent.objects.create(
            provider=provider,
            outcome=SignInEvent.Outcome.REFUSED,
            reason=refused.reason,
            detail=refused.detail,
        )


def sign_in_complete(*, identity: VerifiedIdentity) -> User | None:
    """The account linked to this verified identity (its last use noted), or None when the
    subject is not linked yet: the person is asked for their institution's code."""
    provider = identity.provider
    link = selectors.identity_of(provider=provider, subject=identity.subject)
    if link is None:
        logger.info("sso sign-in of an unlinked subject: provider=%s", provider.slug)
        SignInEvent.objects.create(
            provider=provider, outcome=SignInEvent.Outcome.UNLINKED, subject=identity.subject
        )
        return None
    if not link.user.is_active:
        raise SignInRefused(Reason.INACTIVE, f"user={link.user_id}")
    now = timezone.now()
    ExternalIdentity.objects.filter(pk=link.pk).update(last_used_at=now)
    SignInEvent.objects.create(
        provider=provider,
        outcome=SignInEvent.Outcome.SIGNED_IN,
        subject=identity.subject,
        user=link.user,
    )
    logger.info("sso sign-in: provider=%s user=%s", provider.slug, link.user_id)
    return link.user


class LinkRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def identity_link(
    *, provider: IdentityProvider, subject: str, login_code_id: int, user_id: int
) -> User:
    """Link `subject` at `provider` to the account whose one-time code was checked, and use
    the code up, together: if the link cannot be made, the code still works (and if the
    code is no good any more, no link is made). Raises logincodes.CodeRefused or
    LinkRefused."""
    try:
        with transaction.atomic():
            user = logincodes.login_code_spend(login_code_id=login_code_id, user_id=user_id)
            if ExternalIdentity.objects.filter(provider=provider, user=user).exists():
                raise LinkRefused(
                    _(
                        "This platform account is already linked to another %(provider)s "
                        "account. Sign in with that one, or ask your institution's admin."
                    )
                    % {"provider": provider.name}
                )
            ExternalIdentity.objects.create(provider=provider, subject=subject, user=user)
            SignInEvent.objects.create(
                provider=provider, outcome=SignInEvent.Outcome.LINKED, subject=subject, user=user
            )
    except IntegrityError:
        # the same subject linked a moment ago (another tab): nothing of this try is kept
        raise LinkRefused(
            _("Your %(provider)s account was linked a moment ago. Sign in with %(provider)s again.")
            % {"provider": provider.name}
        ) from None
    logger.info("sso link: provider=%s user=%s", provider.slug, user.pk)
    return user
