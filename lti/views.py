"""The LTI endpoints an LMS calls: /lti/login/, /lti/launch/, /lti/jwks/, /lti/register/,
and the pages a launch leads to (the teacher's content picker, "open in a new window").

LMSs show tools in a frame of their course page. These pages may be framed by the
registered LMSs only (CSP frame-ancestors, per registration); the rest of the platform
never is. In a frame the platform's session cookie is a third-party cookie that browsers
block or drop, so a launch inside a frame does not sign in there: it offers a one-time
link that opens the exercise in a new window (top level), where signing in works. A
launch in a new window (the LMS's "open in new window" setting) signs in and goes
straight to the exercise.

The LMS posts to /lti/login/ and /lti/launch/ from its own site (no CSRF token: the
signed id_token, the OIDC state cookie and the one-time nonce are the protection), and
the content picker posts back with the launch id, a secret only that launch knows.
"""

from __future__ import annotations

import logging

from django.contrib.auth import login as auth_login
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoOIDCLogin
from pylti1p3.exception import LtiException, OIDCException

from people.backends import LOGIN_BACKEND
from people.models import Role

from . import dynamic, selectors, services
from .tool import PlatformLaunch, ToolConf, launch_storage, person_message, public_jwks, tool_url

log = logging.getLogger("lti")

HANDOFF_SALT = "lti.handoff"
HANDOFF_MAX_AGE = 120  # seconds: the link is followed at once, or never


def _picker(request, message, claims, origins, *, error: str = "") -> HttpResponse:
    """The deep-linking catalogue an instructor picks from (again, with `error`, after a
    choice the LMS cannot take)."""
    response = render(
        request,
        "lti/deep_link_pick.html",
        {
            "launch_id": message.get_launch_id(),
            "catalogue": selectors.catalogue(),
            "multiple": selectors.accepts_multiple(claims),
            "error": error,
        },
        status=400 if error else 200,
    )
    return _framed(response, origins)


def _framed(response: HttpResponse, origins) -> HttpResponse:
    """May be shown in a frame of these origins only (CSP frame-ancestors)."""
    response._csp_replace = {"frame-ancestors": sorted(set(origins)) or ["'none'"]}
    return response


def _message(request, text: str, *, status: int = 400, origins=(), title: str = "") -> HttpResponse:
    response = render(
        request,
        "lti/message.html",
        {"title": title or _("The activity could not be opened"), "text": text},
        status=status,
    )
    return _framed(response, origins)


def _refused(request, *, reason: str, message: str, registration=None, issuer="", message_type=""):
    services.launch_refused(
        reason=reason, registration=registration, issuer=issuer, message_type=message_type
    )
    origins = (
        selectors.frame_origins(registration)
        if registration is not None
        else selectors.all_frame_origins()
    )
    return _message(request, message, origins=origins)


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """OIDC third-party initiated login: back to the LMS's authorization endpoint with a
    state (cookie) and a nonce, the LMS then posts the launch to /lti/launch/."""
    oidc = DjangoOIDCLogin(request, ToolConf(), launch_data_storage=launch_storage())
    try:
        return oidc.redirect(tool_url("lti:launch"))
    except (OIDCException, LtiException) as exc:
        issuer = request.POST.get("iss") or request.GET.get("iss") or ""
        return _refused(
            request,
            reason=f"login: {exc} (issuer {issuer!r})",
            message=person_message(str(exc)),
            issuer=issuer,
        )


@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    conf = ToolConf()
    message = PlatformLaunch(request, conf)
    try:
        claims = message.get_launch_data()  # validates the whole launch first
    except LtiException as exc:
        unverified = message._jwt.get("body") or {}  # only to name the issuer in the log
        return _refused(
            request,
            reason=str(exc),
            message=person_message(str(exc)),
            registration=conf.registration,
            issuer=str(unverified.get("iss") or ""),
            message_type=str(unverified.get(services.CLAIM + "message_type") or ""),
        )
    registration = conf.registration
    origins = selectors.frame_origins(registration)
    if message.is_deep_link_launch():
        if services.role_of(claims) != Role.TEACHER:
            return _refused(
                request,
                reason="deep linking by a non-instructor",
                message=_("Only the course's teachers may add activities."),
                registration=registration,
                issuer=claims["iss"],
                message_type=services.DEEP_LINKING,
            )
        services.launch_logged(registration=registration, claims=claims)
        return _picker(request, message, claims, origins)
    if not message.is_resource_launch():
        return _refused(
            request,
            reason=f"unsupported message {claims.get(services.CLAIM + 'message_type')}",
            message=_("The platform does not support this kind of LTI launch."),
            registration=registration,
            issuer=claims["iss"],
        )
    try:
        opened = services.launch_open(registration=registration, claims=claims)
    except services.LaunchError as exc:
        return _refused(
            request,
            reason=str(exc),
            message=exc.message,
            registration=registration,
            issuer=claims["iss"],
            message_type=services.RESOURCE_LINK,
        )
    if request.headers.get("Sec-Fetch-Dest") == "iframe":
        token = signing.dumps(opened.launch.pk, salt=HANDOFF_SALT)
        response = render(request, "lti/open.html", {"token": token, "link": opened.launch.link})
        return _framed(response, origins)
    auth_login(request, opened.user, backend=LOGIN_BACKEND)
    return redirect(opened.target_url)


@require_GET
def open_window(request: HttpRequest, token: str) -> HttpResponse:
    """The launch continued at the top level: sign in as its user, once, and go on."""
    try:
        launch_id = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE)
        launch = services.handoff_use(launch_id=int(launch_id))
    except (signing.BadSignature, TypeError, ValueError):
        launch = None
    if launch is None:
        log.warning("LTI new-window link refused (expired, used or forged)")
        return _message(
            request,
            _("This link has expired or was already used. Open the activity again from your LMS."),
        )
    auth_login(request, launch.user, backend=LOGIN_BACKEND)
    return redirect(launch.target_url)


@csrf_exempt
@xframe_options_exempt
@require_POST
def deep_link(request: HttpRequest) -> HttpResponse:
    """The teacher's choice from the picker, signed as an LtiDeepLinkingResponse and
    posted back to the LMS (a form the browser submits)."""
    conf = ToolConf()
    try:
        message = PlatformLaunch.from_cache(request.POST.get("launch_id", ""), request, conf)
        claims = message.get_launch_data()
        if not message.is_deep_link_launch() or services.role_of(claims) != Role.TEACHER:
            raise LtiException("not an instructor's deep-linking launch")
    except LtiException as exc:
        log.warning("LTI deep-linking answer refused: %s", exc)
        return _message(
            request,
            _("This choice has expired. Start again from your LMS's activity picker."),
            origins=selectors.all_frame_origins(),
        )
    origins = selectors.frame_origins(conf.registration)
    exercises, courses = selectors.chosen(request.POST.getlist("item"))
    if (not exercises and not courses) or (
        not selectors.accepts_multiple(claims) and len(exercises) + len(courses) > 1
    ):
        error = (
            _("Choose at least one activity.")
            if selectors.accepts_multiple(claims)
            else _("Choose one activity.")
        )
        return _picker(request, message, claims, origins, error=error)
    deep = message.get_deep_link()
    jwt_value = deep.get_response_jwt(
        services.deep_link_items(exercises=exercises, courses=courses)
    )
    return_url = claims[services.DL_SETTINGS]["deep_link_return_url"]
    log.info(
        "LTI deep linking: %s exercise(s), %s course(s) to %s",
        len(exercises),
        len(courses),
        conf.registration,
    )
    response = render(
        request, "lti/deep_link_return.html", {"return_url": return_url, "jwt": jwt_value}
    )
    # the form posts to the LMS: allowed for this page only
    response._csp_update = {"form-action": [dynamic.origin(return_url)]}
    return _framed(response, origins)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(public_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


@xframe_options_exempt
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """Dynamic registration: the LMS opens this URL (the admin pasted it) with
    openid_configuration and registration_token added."""
    openid_configuration = request.GET.get("openid_configuration", "")
    framing = [dynamic.origin(openid_configuration)] if dynamic.origin(openid_configuration) else []
    try:
        registration = dynamic.registration_complete(
            invite=request.GET.get("invite", ""),
            openid_configuration=openid_configuration,
            registration_token=request.GET.get("registration_token", ""),
        )
    except dynamic.RegistrationRefused as exc:
        log.warning("LTI dynamic registration refused: %s", exc)
        return _message(
            request, exc.message, origins=framing, title=_("The tool could not be registered")
        )
    response = render(request, "lti/registered.html", {"registration": registration})
    return _framed(response, framing)
