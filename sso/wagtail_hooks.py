"""Single sign-on in people's login page and logout (people.loginalternatives)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks

from people.loginalternatives import (
    LOGIN_ALTERNATIVES,
    LOGIN_ALTERNATIVES_FOR_USER,
    LOGOUT_REDIRECT,
    LoginAlternative,
)

from . import selectors
from .session import provider_logout_url


@hooks.register(LOGIN_ALTERNATIVES)
def sign_in_buttons(request):
    """One button per enabled provider; the page's `next` goes along."""
    next_url = request.GET.get("next") or request.POST.get("next")
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return [
        LoginAlternative(
            label=_("Sign in with %(provider)s") % {"provider": provider.name},
            url=reverse("sso-start", args=[provider.slug]) + query,
        )
        for provider in selectors.enabled_providers()
    ]


@hooks.register(LOGIN_ALTERNATIVES_FOR_USER)
def providers_of(user):
    return selectors.provider_names_for(user)


@hooks.register(LOGOUT_REDIRECT)
def provider_logout(request):
    return provider_logout_url(request)
