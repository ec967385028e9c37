import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from . import access, imports, loginalternatives
from .models import Cohort, Institution, User
from .services import same_address

ACADEMIC_YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")


class StudentImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, one student per line, header: username, first_name, last_name, "
            "and optionally email."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = imports.file_size_problem(upload.size)
        if problem:
            raise forms.ValidationError(problem, code="too_large")
        return upload


class CohortForm(forms.ModelForm):
    """A new cohort of `institution`. The form checks what the database would refuse,
    so the admin reads a sentence instead of getting an error page."""

    class Meta:
        model = Cohort
        fields = ["name", "code", "track", "academic_year", "level"]

    def __init__(self, *args, institution: Institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.institution = institution

    def clean_academic_year(self):
        year = self.cleaned_data["academic_year"].strip()
        match = ACADEMIC_YEAR_RE.match(year)
        if not match or int(match[2]) != int(match[1]) + 1:
            raise forms.ValidationError(
                _("Write the academic year as two consecutive years, for example 2026-2027."),
                code="invalid",
            )
        return year

    def clean(self):
        cleaned = super().clean()
        name, year = cleaned.get("name"), cleaned.get("academic_year")
        if (
            name
            and year
            and Cohort.objects.filter(
                institution=self.instance.institution, name=name, academic_year=year
            )
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "name",
                forms.ValidationError(
                    _("This institution already has a cohort named %(name)s in %(year)s."),
                    code="unique",
                    params={"name": name, "year": year},
                ),
            )
        return cleaned


class PlatformPasswordResetForm(PasswordResetForm):
    """Also reaches imported students, whose accounts start without a usable password."""

    def get_users(self, email):
        return (
            user
            for user in User.objects.filter(email__iexact=email, is_active=True)
            if user.email and same_address(email, user.email)
        )


class FirstLoginForm(forms.Form):
    """Step one of the first login (people/logincodes.py): the username and the one-time
    code from a card or an invitation e-mail."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    code = forms.CharField(
        label=_("One-time code"),
        max_length=64,
        help_text=_("From your login card or invitation e-mail, for example ABCD-EFGH."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )


class LocalPasswordRuleMixin:
    """Refuses a password to a person whose institutions have all turned local passwords
    off (access.local_password_allowed), naming the way to sign in instead."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if access.local_password_allowed(user):
            return
        names = loginalternatives.alternatives_for(user)
        if names:
            message = gettext(
                "Your institution does not use passwords on this platform. Sign in with "
                "%(providers)s instead, with the button below."
            ) % {"providers": ", ".join(names)}
        else:
            message = gettext(
                "Your institution does not use passwords on this platform. Sign in with your "
                "institution's account instead, with a button below."
            )
        raise forms.ValidationError(message, code="local_password_off")


class PlatformLoginForm(LocalPasswordRuleMixin, AuthenticationForm):
    """Django's login form with the platform's password rule: the web login page."""


class PlatformAdminLoginForm(LocalPasswordRuleMixin, WagtailLoginForm):
    """Wagtail's admin login form (WAGTAILADMIN_USER_LOGIN_FORM) with the same rule: a
    teacher of such an institution signs in on the platform's login page instead."""
