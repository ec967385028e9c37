"""Ways of logging in besides a password, that apps above people offer (single sign-on).

People owns the login page, the logout and the password rule; it does not know identity
providers. It names three places, Wagtail-style hooks that an app registers functions for
in its `wagtail_hooks.py`, as `people.sections` does for the dashboard::

    @hooks.register(LOGIN_ALTERNATIVES)
    def sign_in_buttons(request):
        return [LoginAlternative(label=..., url=...)]

The login page shows each alternative as a button (`{% login_alternatives %}` of
people_login); a refused password login names the ways the person has instead
(`alternatives_for`); the logout asks where the browser goes next (`logout_redirect`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from wagtail import hooks

from .models import User

# fn(request) -> list[LoginAlternative]: buttons on the login page, below the password form.
LOGIN_ALTERNATIVES = "people_login_alternatives"

# fn(user) -> list[str]: names of the ways `user` can log in without a password (e.g. the
# identity providers their account is linked to), for the message that refuses a password.
LOGIN_ALTERNATIVES_FOR_USER = "people_login_alternatives_for_user"

# fn(request) -> str | None: called while the session still exists, just before logout;
# an address to send the browser to instead of the login page (e.g. the identity
# provider's own logout). The first function that answers wins.
LOGOUT_REDIRECT = "people_logout_redirect"


@dataclass(frozen=True)
class LoginAlternative:
    label: str  # the button's text, translated ("Sign in with ASAN Login")
    url: str  # where the button goes (GET)


def login_alternatives(request: HttpRequest) -> list[LoginAlternative]:
    return [found for fn in hooks.get_hooks(LOGIN_ALTERNATIVES) for found in fn(request)]


def alternatives_for(user: User) -> list[str]:
    return [name for fn in hooks.get_hooks(LOGIN_ALTERNATIVES_FOR_USER) for name in fn(user)]


def logout_redirect(request: HttpRequest) -> str | None:
    for fn in hooks.get_hooks(LOGOUT_REDIRECT):
        url = fn(request)
        if url:
            return url
    return None
