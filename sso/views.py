"""Single sign-on pages: the start of a sign-in, the provider's callback, the page that
links a new subject to an account with the institution's one-time code, and the landing
after the provider's own logout.

The callback and the landing are outside the language prefix (sso/callback_urls.py): the
provider must be told exact addresses. The language of the sign-in's start is kept with
its state and used for what the callback shows.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from people import lockout, logincodes
from people.backends import LOGIN_BACKEND
from people.forms import FirstLoginForm

from . import selectors, services
from .models import IdentityProvider
from .oidc import ProviderAuthorizationView, ProviderBackend, Reason, SignInRefused
from .session import PENDING_KEY, SESSION_KEY, STATES_KEY

logger = logging.getLogger(__name__)

LINK_WINDOW = timedelta(minutes=15)
# the password login's backend: the session's user is loaded by it (people.User)
SESSION_BACKEND = LOGIN_BACKEND


@require_GET
@never_cache
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """The "Sign in with ..." button: off to the provider, with state, nonce and PKCE."""
    provider = selectors.enabled_provider(slug=slug)
    if provider is None:
        raise Http404(_("No such identity provider."))
    response = ProviderAuthorizationView(provider).get(request)
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    library_states = request.session.get("oidc_states", {})
    # only states the library still holds (it keeps the newest 50)
    ours = {s: v for s, v in request.session.get(STATES_KEY, {}).items() if s in library_states}
    ours[state] = {"provider": provider.pk, "language": translation.get_language()}
    request.session[STATES_KEY] = ours
    return response


@require_GET
@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code (or an error) and the state."""
    state = request.GET.get("state", "")
    entry = request.session.get(STATES_KEY, {}).pop(state, None) if state else None
    flow = request.session.get("oidc_states", {}).pop(state, None) if state else None
    request.session.modified = True  # a state works once, whatever happens next
    if entry is None or flow is None:
        return _refused(request, None, SignInRefused(Reason.STATE, "unknown or used state"))
    translation.activate(entry.get("language") or settings.LANGUAGE_CODE)
    request.LANGUAGE_CODE = translation.get_language()
    provider = selectors.enabled_provider(pk=entry["provider"])
    if provider is None:
        disabled = IdentityProvider.objects.filter(pk=entry["provider"]).first()
        return _refused(request, disabled, SignInRefused(Reason.DISABLED, "provider disabled"))
    if request.GET.get("error"):
        detail = f"{request.GET['error']}: {request.GET.get('error_description', '')}"
        return _refused(request, provider, SignInRefused(Reason.PROVIDER_ERROR, detail))
    # RFC 9207: a provider that names itself must be the one this sign-in went to
    if "iss" in request.GET and request.GET["iss"] != provider.issuer:
        found = f"iss={request.GET['iss']!r}"
        return _refused(request, provider, SignInRefused(Reason.ISSUER, found))
    try:
        identity = ProviderBackend(provider).verify(
            request, nonce=flow["nonce"], code_verifier=flow["code_verifier"]
        )
        user = services.sign_in_complete(identity=identity)
    except SignInRefused as refused:
        return _refused(request, provider, refused)
    if user is None:
        request.session[PENDING_KEY] = {
            "provider": provider.pk,
            "subject": identity.subject,
            "name": identity.display_name,
            "id_token": identity.id_token,
            "at": int(timezone.now().timestamp()),
        }
        return redirect("sso-link")
    next_url = request.session.get("oidc_login_next")
    _log_in(request, user, provider=provider, id_token=identity.id_token)
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


@require_http_methods(["GET", "POST"])
@never_cache
@sensitive_post_parameters("code")
def link(request: HttpRequest) -> HttpResponse:
    """First sign-in of a subject: the person types the username and the one-time code
    their institution gave them; the account is linked for good and the code used up.
    Guesses are limited as on the first-login page (same counters)."""
    pending = request.session.get(PENDING_KEY)
    provider = _pending_provider(request, pending)
    if provider is None:
        messages.info(request, _("Please sign in with your identity provider again."))
        return redirect("login")
    form = FirstLoginForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "provider": provider, "name": pending.get("name", "")}
    if not (form.is_bound and form.is_valid()):
        return render(request, "sso/link.html", context, status=400 if form.is_bound else 200)
    username = form.cleaned_data["username"]
    blocked = lockout.code_attempt_blocked(request, username)
    if blocked is not None:
        return blocked
    try:
        login_code = logincodes.login_code_check(username=username, code=form.cleaned_data["code"])
        user = services.identity_link(
            provider=provider,
            subject=pending["subject"],
            login_code_id=login_code.pk,
            user_id=login_code.user_id,
        )
    except logincodes.CodeRefused as refused:
        if refused.guess:
            lockout.code_guess_failed(request, username)
        form.add_error(None, refused.message)
        return render(request, "sso/link.html", context, status=400)
    except services.LinkRefused as refused:
        form.add_error(None, refused.message)
        return render(request, "sso/link.html", context, status=400)
    id_token = pending.get("id_token", "")
    request.session.pop(PENDING_KEY, None)
    _log_in(request, user, provider=provider, id_token=id_token)
    messages.success(
        request,
        _(
            "Your account is now linked to %(provider)s. Next time, use the button "
            "“Sign in with %(provider)s” on the login page."
        )
        % {"provider": provider.name},
    )
    return redirect(settings.LOGIN_REDIRECT_URL)


@require_GET
def logged_out(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser after its own logout."""
    return redirect(settings.LOGOUT_REDIRECT_URL)


# ---------------------------------------------------------------------------------------
def _log_in(request: HttpRequest, user, *, provider: IdentityProvider, id_token: str) -> None:
    login(request, user, backend=SESSION_BACKEND)
    request.session[SESSION_KEY] = {"provider": provider.pk, "id_token": id_token}
    request.session.pop("oidc_login_next", None)


def _pending_provider(request: HttpRequest, pending) -> IdentityProvider | None:
    if not isinstance(pending, dict):
        return None
    if timezone.now().timestamp() - pending.get("at", 0) > LINK_WINDOW.total_seconds():
        request.session.pop(PENDING_KEY, None)
        return None
    return selectors.enabled_provider(pk=pending.get("provider"))


def _refused(
    request: HttpRequest, provider: IdentityProvider | None, refused: SignInRefused
) -> HttpResponse:
    """Nothing was made: say so, say why in words a person understands, log the reason."""
    services.sign_in_refused(provider=provider, refused=refused)
    return render(
        request,
        "sso/refused.html",
        {"provider": provider, "message": refusal_message(refused.reason, provider)},
        status=400,
    )


def refusal_message(reason: str, provider: IdentityProvider | None) -> str:
    name = provider.name if provider else _("the identity provider")
    if reason == Reason.STATE:
        return _(
            "This sign-in was already finished, has expired, or was not started in this browser."
        )
    if reason == Reason.DISABLED:
        return _("Signing in with %(provider)s is switched off on this platform.") % {
            "provider": name
        }
    if reason == Reason.PROVIDER_ERROR:
        return _("%(provider)s did not sign you in.") % {"provider": name}
    if reason == Reason.ISSUER:
        return _(
            "The answer did not come from %(provider)s but from an issuer this platform does "
            "not know."
        ) % {"provider": name}
    if reason in (Reason.UNKNOWN_KEY, Reason.SIGNATURE, Reason.ALGORITHM):
        return _(
            "The answer of %(provider)s could not be verified: it was not signed with a key of "
            "%(provider)s, or it was changed on the way."
        ) % {"provider": name}
    if reason in (Reason.AUDIENCE, Reason.NONCE):
        return _("The answer of %(provider)s was not meant for this sign-in on this platform.") % {
            "provider": name
        }
    if reason == Reason.EXPIRED:
        return _("The answer of %(provider)s has expired.") % {"provider": name}
    if reason == Reason.TOKEN_REQUEST:
        return _("%(provider)s could not be reached, or did not accept the sign-in.") % {
            "provider": name
        }
    if reason == Reason.INACTIVE:
        return _("The platform account linked to your %(provider)s account is switched off.") % {
            "provider": name
        }
    return _("The answer of %(provider)s was incomplete.") % {"provider": name}
