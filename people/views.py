"""Pages about people and organisations: the role-aware dashboard, cohorts, imports."""

from __future__ import annotations

import io
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from . import (
    access,
    lockout,
    loginalternatives,
    logincodes,
    panels,
    ratelimit,
    selectors,
    services,
)
from .backends import LOGIN_BACKEND
from .forms import (
    CohortForm,
    FirstLoginForm,
    PlatformLoginForm,
    PlatformPasswordResetForm,
    StudentImportForm,
)
from .imports import REQUIRED_COLUMNS, student_import
from .loginsheet import render_login_sheet
from .models import Cohort, Institution, Role, User


class LoginView(auth_views.LoginView):
    """Django's login, with the platform's password rule (PlatformLoginForm) and the other
    ways in that apps above people offer (people.loginalternatives)."""

    form_class = PlatformLoginForm


class LogoutView(auth_views.LogoutView):
    """Django's logout; where an app says the browser should go on somewhere (an identity
    provider's own logout, asked while the session still exists), a page sends it there.
    Not a redirect: browsers hold the redirect of a form's POST to the Content-Security-
    Policy's form-action ('self'), and the provider is elsewhere; the page's refresh is a
    new navigation."""

    def post(self, request, *args, **kwargs):
        elsewhere = loginalternatives.logout_redirect(request)
        response = super().post(request, *args, **kwargs)
        if not elsewhere:
            return response
        return render(request, "registration/logged_out_elsewhere.html", {"url": elsewhere})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited (README "Security"). Per client address: beyond
    PASSWORD_RESET_RATE_PER_IP a 429 page says when to try again. Per e-mail address asked
    for (whether or not an account has it): beyond PASSWORD_RESET_RATE_PER_ADDRESS no more
    e-mail is sent, and the page is the usual "check your inbox", so neither the limit nor
    the answer tells anyone whether the address exists."""

    form_class = PlatformPasswordResetForm

    def post(self, request, *args, **kwargs):
        verdict = ratelimit.hit(
            "password-reset-ip", ratelimit.client_ip(request), settings.PASSWORD_RESET_RATE_PER_IP
        )
        if not verdict.allowed:
            return lockout.too_many_response(
                request,
                verdict.retry_after,
                title=_("Too many password reset requests"),
                message=lambda minutes: (
                    ngettext(
                        "Too many password reset requests from your address. "
                        "Please try again in %(minutes)d minute.",
                        "Too many password reset requests from your address. "
                        "Please try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes}
                ),
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        address = unicodedata.normalize("NFKC", form.cleaned_data["email"]).casefold()
        verdict = ratelimit.hit(
            "password-reset-address", address, settings.PASSWORD_RESET_RATE_PER_ADDRESS
        )
        if not verdict.allowed:
            return HttpResponseRedirect(self.get_success_url())  # as if sent: see above
        return super().form_valid(form)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What each role sees first after login; a user with several roles sees each part."""
    user = request.user
    roles = access.roles_of(user)
    context = {"roles": roles}
    if roles.student:
        context["student_panel"] = panels.student_panel(request)  # cached (people.panels)
    if roles.teacher:
        context["taught_cohorts"] = selectors.cohorts_with_counts(access.taught_cohorts(user))
    if roles.institution_admin:
        context["institutions"] = selectors.institution_overview(user=user)
    if roles.ministry_analyst:
        context["national"] = selectors.national_overview()
    return render(request, "people/dashboard.html", context)


@login_required
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = get_object_or_404(Institution.objects.select_related("region"), pk=pk)
    if not access.can_administer_institution(request.user, institution):
        raise PermissionDenied(_("Only admins of this institution can open this page."))
    cohorts = selectors.cohorts_with_counts(institution.cohorts.all())
    return render(
        request,
        "people/institution_detail.html",
        {"institution": institution, "cohorts": cohorts},
    )


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request: HttpRequest, pk: int) -> HttpResponse:
    institution = get_object_or_404(Institution, pk=pk)
    if not access.can_administer_institution(request.user, institution):
        raise PermissionDenied(_("Only admins of this institution can create cohorts."))
    # `request.POST or None` would leave an empty POST unbound: no error, nothing said.
    data = request.POST if request.method == "POST" else None
    form = CohortForm(data, institution=institution)
    if form.is_bound and form.is_valid():
        cohort = form.save()
        messages.success(request, _("Cohort %(name)s created.") % {"name": cohort})
        return redirect("cohort-detail", pk=cohort.pk)
    return render(request, "people/cohort_form.html", {"form": form, "institution": institution})


@login_required
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("institution"), pk=pk)
    if not access.can_manage_cohort(request.user, cohort):
        raise PermissionDenied(_("Only the cohort's teachers and institution admins can see it."))
    return render(
        request,
        "people/cohort_detail.html",
        {
            "cohort": cohort,
            "students": selectors.cohort_members(cohort=cohort, role=Role.STUDENT),
            "teachers": selectors.cohort_members(cohort=cohort, role=Role.TEACHER),
            "can_import": access.can_administer_cohort(request.user, cohort),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cohort_import(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("institution"), pk=pk)
    if not access.can_administer_cohort(request.user, cohort):
        raise PermissionDenied(_("Only admins of the cohort's institution can import students."))
    if request.method == "POST":
        form = StudentImportForm(request.POST, request.FILES)
    else:
        form = StudentImportForm()
    result = None
    if form.is_bound and form.is_valid():
        result = student_import(cohort=cohort, data=form.cleaned_data["file"].read())
        if result.ok:
            messages.success(
                request,
                _("Import finished: %(counts)s.") % {"counts": result.counts_text()},
            )
            return redirect("cohort-detail", pk=cohort.pk)
    return render(
        request,
        "people/cohort_import.html",
        {"cohort": cohort, "form": form, "result": result, "columns": REQUIRED_COLUMNS},
        status=400 if result is not None and not result.ok else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to a new address: the page asks, the button changes (a mail scanner
    that opens links changes nothing); only for the account that asked."""
    try:
        if request.method == "POST":
            new_email = services.email_change_confirm(user=request.user, token=token)
            messages.success(
                request, _("Your e-mail address is now %(email)s.") % {"email": new_email}
            )
            return redirect("dashboard")
        new_email = services.email_change_check(user=request.user, token=token)
    except services.EmailChangeRefused as refused:
        return render(
            request, "people/email_change_confirm.html", {"problem": refused.message}, status=400
        )
    return render(request, "people/email_change_confirm.html", {"new_email": new_email})


# ---------------------------------------------------------------------------------------
# First login for imported students (people/logincodes.py): the staff's side
# ---------------------------------------------------------------------------------------
def _managed_cohort(request: HttpRequest, pk: int) -> Cohort:
    cohort = get_object_or_404(Cohort.objects.select_related("institution"), pk=pk)
    if not access.can_manage_cohort(request.user, cohort):
        raise PermissionDenied(_("Only the cohort's teachers and institution admins can see it."))
    return cohort


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _pdf(data: bytes, filename: str) -> FileResponse:
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type="application/pdf"
    )


@login_required
def cohort_logins(request: HttpRequest, pk: int) -> HttpResponse:
    """The pupils' logins: the class login sheet, invitations, a new card for one pupil."""
    cohort = _managed_cohort(request, pk)
    rows = selectors.cohort_logins(user=request.user, cohort=cohort)
    with_address, without_address = logincodes.invitation_candidates(
        actor=request.user, cohort=cohort
    )
    return render(
        request,
        "people/cohort_logins.html",
        {
            "cohort": cohort,
            "rows": rows,
            "on_sheet": len(with_address) + len(without_address),
            "with_address": len(with_address),
            "without_address": len(without_address),
            "days": logincodes.CODE_LIFETIME.days,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
@never_cache
def cohort_login_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """New codes for every pupil without a password, as the PDF to print (the only moment
    the codes exist in clear); earlier sheets' codes stop working."""
    cohort = _managed_cohort(request, pk)
    cards = logincodes.login_sheet_issue(
        actor=request.user, cohort=cohort, site_url=_site_url(request)
    )
    if not cards:
        messages.info(request, _("Every pupil has chosen a password: no sheet to print."))
        return redirect("cohort-logins", pk=cohort.pk)
    return _pdf(
        render_login_sheet(cohort=cohort, cards=cards),
        f"login-sheet-{cohort.code}-{timezone.localdate():%Y-%m-%d}.pdf",
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def cohort_login_reset(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    """Reset this pupil's password: the page asks, the button resets and gives the card
    to print (a PDF with one card). Never shows a password."""
    cohort = _managed_cohort(request, pk)
    pupil = get_object_or_404(
        User, pk=user_pk, memberships__cohort=cohort, memberships__role=Role.STUDENT
    )
    if request.method == "POST":
        try:
            card = logincodes.password_reset_card(
                actor=request.user, cohort=cohort, student=pupil, site_url=_site_url(request)
            )
        except logincodes.NotAllowed:
            raise PermissionDenied(_reset_refusal()) from None
        return _pdf(
            render_login_sheet(cohort=cohort, cards=[card]),
            f"login-card-{pupil.get_username()}.pdf",
        )
    if not access.login_code_students(request.user, cohort).filter(pk=pupil.pk).exists():
        raise PermissionDenied(_reset_refusal())
    return render(
        request,
        "people/cohort_login_reset.html",
        {"cohort": cohort, "pupil": pupil, "has_password": pupil.has_usable_password()},
    )


def _reset_refusal() -> str:
    return _(
        "You cannot give this account a new password: it has another role, or it learns in "
        "a cohort you do not manage. The institution's admins can."
    )


@login_required
@require_POST
def cohort_login_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = _managed_cohort(request, pk)
    verdict = ratelimit.hit(
        "login-invitations", str(cohort.pk), settings.LOGIN_INVITATIONS_RATE_PER_COHORT
    )
    if not verdict.allowed:
        minutes = max(-(-verdict.retry_after // 60), 1)
        messages.error(
            request,
            ngettext(
                "Invitations were sent several times already. Please try again in %(minutes)d "
                "minute.",
                "Invitations were sent several times already. Please try again in %(minutes)d "
                "minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return redirect("cohort-logins", pk=cohort.pk)
    try:
        result = logincodes.invitations_send(
            actor=request.user, cohort=cohort, site_url=_site_url(request)
        )
    except OSError:  # smtplib's errors included: the mail server refused or did not answer
        messages.error(
            request,
            _(
                "The e-mails could not be sent: the mail server did not take them. Nothing "
                "was changed; please try again later."
            ),
        )
        return redirect("cohort-logins", pk=cohort.pk)
    if result.sent:
        messages.success(
            request,
            ngettext(
                "Invitation sent to %(count)d pupil.",
                "Invitations sent to %(count)d pupils.",
                result.sent,
            )
            % {"count": result.sent},
        )
    else:
        messages.info(
            request, _("No pupil without a password has an e-mail address: nothing was sent.")
        )
    if result.without_address:
        messages.warning(
            request,
            ngettext(
                "%(count)d pupil without a password has no e-mail address: print their card "
                "from the class login sheet.",
                "%(count)d pupils without a password have no e-mail address: print their "
                "cards from the class login sheet.",
                result.without_address,
            )
            % {"count": result.without_address},
        )
    return redirect("cohort-logins", pk=cohort.pk)


# ---------------------------------------------------------------------------------------
# First login: the pupil's side. Step one checks the username and the code, step two
# sets the password and logs in; nobody is logged in before a password is chosen.
# ---------------------------------------------------------------------------------------
FIRST_LOGIN_SESSION_KEY = "people.first_login"
# Step two must follow step one within this time; the code is checked again anyway.
FIRST_LOGIN_STEP_SECONDS = 30 * 60


@require_http_methods(["GET", "POST"])
@never_cache
@sensitive_post_parameters("code")
def first_login(request: HttpRequest) -> HttpResponse:
    """Username and one-time code; a QR code or an e-mail link fills both in (?u=&code=),
    and the pupil presses Continue (opening a link changes nothing)."""
    if request.method == "POST":
        form = FirstLoginForm(request.POST)
    else:
        form = FirstLoginForm(
            initial={"username": request.GET.get("u", ""), "code": request.GET.get("code", "")}
        )
    if not (form.is_bound and form.is_valid()):
        return render(
            request, "people/first_login.html", {"form": form}, status=400 if form.is_bound else 200
        )
    username = form.cleaned_data["username"]
    blocked = lockout.code_attempt_blocked(request, username)
    if blocked is not None:
        return blocked
    try:
        login_code = logincodes.login_code_check(username=username, code=form.cleaned_data["code"])
    except logincodes.CodeRefused as refused:
        if refused.guess:
            lockout.code_guess_failed(request, username)
        form.add_error(None, refused.message)
        return render(request, "people/first_login.html", {"form": form}, status=400)
    if not access.local_password_allowed(login_code.user):
        # A password they could never use: the code links their institution's account
        # instead (single sign-on's "link your account"), so it is not spent here.
        form.add_error(None, _first_login_without_password(login_code.user))
        return render(request, "people/first_login.html", {"form": form}, status=400)
    request.session[FIRST_LOGIN_SESSION_KEY] = {
        "code": login_code.pk,
        "user": login_code.user_id,
        "at": int(timezone.now().timestamp()),
    }
    return redirect("first-login-password")


def _first_login_without_password(user) -> str:
    names = loginalternatives.alternatives_for(user)
    providers = ", ".join(names) if names else _("your institution's account")
    return _(
        "Your institution does not use passwords on this platform, so none is set here. On "
        "the login page, sign in with %(providers)s; when it asks to link your account, "
        "give your username and this code."
    ) % {"providers": providers}


@require_http_methods(["GET", "POST"])
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def first_login_password(request: HttpRequest) -> HttpResponse:
    """Step two: the person whose code was checked chooses a password (Django's password
    validators), and is logged in, landing on the dashboard."""
    pending = request.session.get(FIRST_LOGIN_SESSION_KEY)
    if not isinstance(pending, dict):
        return redirect("first-login")
    if timezone.now().timestamp() - pending.get("at", 0) > FIRST_LOGIN_STEP_SECONDS:
        request.session.pop(FIRST_LOGIN_SESSION_KEY, None)
        messages.info(request, _("That took a while: please type your code again."))
        return redirect("first-login")
    try:
        login_code = logincodes.login_code_live(
            login_code_id=pending["code"], user_id=pending["user"]
        )
        form = SetPasswordForm(login_code.user, request.POST if request.method == "POST" else None)
        if not (form.is_bound and form.is_valid()):
            return render(
                request,
                "people/first_login_password.html",
                {"form": form, "person": login_code.user},
                status=400 if form.is_bound else 200,
            )
        person = logincodes.login_code_redeem(
            login_code_id=login_code.pk,
            user_id=login_code.user_id,
            password=form.cleaned_data["new_password1"],
        )
    except logincodes.CodeRefused as refused:
        request.session.pop(FIRST_LOGIN_SESSION_KEY, None)
        messages.error(request, refused.message)
        return redirect("first-login")
    request.session.pop(FIRST_LOGIN_SESSION_KEY, None)
    login(request, person, backend=LOGIN_BACKEND)
    messages.success(
        request,
        _("Your password is set. From now on, log in with your username and this password."),
    )
    return redirect("dashboard")
