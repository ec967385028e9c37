"""What a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): 429 with Retry-After,
the API's JSON error under /api/, a translated page saying when to try again elsewhere
(the web login, Wagtail's /admin/login/, /django-admin/login/).

The lockout itself is django-axes' (settings: AXES_*): a username tried with a wrong
password LOGIN_FAILURE_LIMIT times from one address is refused from that address for
LOGIN_COOLOFF_MINUTES, and every refused try starts that wait again, so the wait shown
is the whole cool-off from now.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms.api.errors import json_error

from . import ratelimit

LOCKED_OUT = "locked_out"


def cool_off_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request) or timedelta(0)
    return max(math.ceil(cool_off.total_seconds()), 1)


def locked_out_message(seconds: int) -> str:
    minutes = max(math.ceil(seconds / 60), 1)
    return ngettext(
        "Too many failed logins with this username from your address. "
        "Please try again in %(minutes)d minute.",
        "Too many failed logins with this username from your address. "
        "Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    seconds = cool_off_seconds(request)
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response  # the token view said it already, in the API's format
        response = json_error(429, LOCKED_OUT, locked_out_message(seconds))
    else:
        response = render(
            request,
            "registration/too_many_attempts.html",
            {
                "title": _("Too many failed logins"),
                "message": locked_out_message(seconds),
                "until": timezone.now() + timedelta(seconds=seconds),
                "offer_reset": True,
            },
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response


def too_many_response(
    request: HttpRequest, retry_after: int, *, title: str, message: Callable[[int], str]
) -> HttpResponse:
    """The 429 page of a limit other than the login lockout (people.ratelimit): `message`
    gets the minutes to wait, rounded up."""
    minutes = max(-(-retry_after // 60), 1)
    response = render(
        request,
        "registration/too_many_attempts.html",
        {
            "title": title,
            "message": message(minutes),
            "until": timezone.now() + timedelta(seconds=retry_after),
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def too_many_codes_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Too many wrong one-time codes from one address (the first-login page, and single
    sign-on's page that links an account with a code)."""
    return too_many_response(
        request,
        retry_after,
        title=_("Too many wrong codes"),
        message=lambda minutes: (
            ngettext(
                "Too many wrong codes were typed from your address. "
                "Please try again in %(minutes)d minute.",
                "Too many wrong codes were typed from your address. "
                "Please try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        ),
    )


# ---------------------------------------------------------------------------------------
# One-time codes typed by a person (the first-login page, single sign-on's linking page):
# both count against the same limits.
# ---------------------------------------------------------------------------------------
CODE_GUESSES = "first-login-ip"


def code_attempt_blocked(request: HttpRequest, username: str) -> HttpResponse | None:
    """The page refusing a code attempt before the code is looked at: this username is
    locked out from this address (django-axes), or this address typed too many wrong
    codes. None: the attempt may go on."""
    if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, {"username": username}):
        return lockout_response(request)
    verdict = ratelimit.peek(
        CODE_GUESSES, ratelimit.client_ip(request), settings.FIRST_LOGIN_FAILURES_PER_IP
    )
    if not verdict.allowed:
        return too_many_codes_response(request, verdict.retry_after)
    return None


def code_guess_failed(request: HttpRequest, username: str) -> None:
    """A wrong code was a guess: it counts for this address, and django-axes counts it as a
    failed login of this username from this address (its middleware answers with the
    lockout page at the limit)."""
    ratelimit.hit(CODE_GUESSES, ratelimit.client_ip(request), settings.FIRST_LOGIN_FAILURES_PER_IP)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
