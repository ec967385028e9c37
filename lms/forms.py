from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .models import Cohort, User


class StudentImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, one student per line, header: username, first_name, last_name, "
            "and optionally email."
        ),
    )


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name", "code", "track", "academic_year", "level"]


class PlatformPasswordResetForm(PasswordResetForm):
    """Also reaches imported students, whose accounts start without a usable password."""

    def get_users(self, email):
        return (
            user for user in User.objects.filter(email__iexact=email, is_active=True) if user.email
        )
