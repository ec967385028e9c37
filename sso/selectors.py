"""Reads of single sign-on: which providers, whose account, what happened lately."""

from __future__ import annotations

from django.db.models import QuerySet

from people.models import User

from .models import ExternalIdentity, IdentityProvider, SignInEvent


def enabled_providers() -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.filter(enabled=True).order_by("name")


def enabled_provider(*, slug: str | None = None, pk: int | None = None) -> IdentityProvider | None:
    found = enabled_providers()
    return (found.filter(slug=slug) if slug is not None else found.filter(pk=pk)).first()


def identity_of(*, provider: IdentityProvider, subject: str) -> ExternalIdentity | None:
    """The link of this subject at this provider, with its account. Only by the stable
    claim: never by e-mail."""
    return (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider, subject=subject)
        .first()
    )


def provider_names_for(user: User) -> list[str]:
    """The enabled providers `user` can sign in with: those linked to the account, else
    (not linked yet: they link with a code at the first sign-in) every enabled one."""
    linked = list(enabled_providers().filter(identities__user=user).values_list("name", flat=True))
    return linked or list(enabled_providers().values_list("name", flat=True))


def recent_events(provider: IdentityProvider, limit: int = 20) -> QuerySet[SignInEvent]:
    return SignInEvent.objects.filter(provider=provider).select_related("user")[:limit]
