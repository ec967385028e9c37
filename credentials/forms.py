from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# A credential is a few kilobytes; anything much larger is not one.
MAX_BYTES = 200_000


class CredentialFileForm(forms.Form):
    """A credential handed in for checking: pasted, or as the downloaded .jwt file."""

    token = forms.CharField(
        label=_("Paste a credential"),
        required=False,
        max_length=MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("The contents of a .jwt credential file."),
    )
    file = forms.FileField(label=_("or upload the credential file"), required=False)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > MAX_BYTES:
                raise forms.ValidationError(_("This file is too large to be a credential."))
            try:
                cleaned["token"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(_("This file is not a credential.")) from error
        if not (cleaned.get("token") or "").strip():
            raise forms.ValidationError(_("Paste a credential or choose its file."))
        return cleaned

    def handed_in(self) -> str:
        return self.cleaned_data["token"].strip()
