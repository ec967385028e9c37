"""Pages about people and organisations: the role-aware dashboard, cohorts, imports."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from . import access, ratelimit, selectors, services
from .forms import CohortForm, PlatformPasswordResetForm, StudentImportForm
from .imports import REQUIRED_COLUMNS, student_import
from .models import Cohort, Institution, Role


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
            minutes = max(-(-verdict.retry_after // 60), 1)
            response = render(
                request,
                "registration/too_many_attempts.html",
                {
                    "title": _("Too many password reset requests"),
                    "message": ngettext(
                        "Too many password reset requests from your address. "
                        "Please try again in %(minutes)d minute.",
                        "Too many password reset requests from your address. "
                        "Please try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    "until": timezone.now() + timedelta(seconds=verdict.retry_after),
                },
                status=429,
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
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
        context["student_cohorts"] = selectors.student_cohorts(user=user)
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
                _(
                    "Import finished: %(created)d new accounts, %(added)d existing accounts "
                    "added, %(unchanged)d already in the cohort."
                )
                % {"created": result.created, "added": result.added, "unchanged": result.unchanged},
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
