"""Platform staff see issued credentials and keys, and revoke a credential with a reason
(the "Revoke" action on the list, or the reason field on a credential's page)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Credential, IssuerKey, StatusList


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = ["id", "student", "course", "issued_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["id", "student__username", "student__last_name", "course__title"]
    readonly_fields = [
        "id",
        "student",
        "course",
        "issued_at",
        "key",
        "achievement",
        "status_list",
        "status_index",
        "jws",
        "revoked_at",
        "revocation_reason",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # issued by completing a course, never typed in

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: a deleted credential would still verify as signed

    @admin.action(description=_("Revoke the selected credentials"), permissions=["change"])
    def revoke(self, request, queryset):
        form = RevokeForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            for credential in queryset:
                services.credential_revoke(
                    credential_id=credential.pk, reason=form.cleaned_data["reason"]
                )
            self.message_user(
                request,
                _("Revoked %(count)d credentials.") % {"count": queryset.count()},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.get_full_path())
        return TemplateResponse(
            request,
            "credentials/admin_revoke.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Revoke credentials"),
                "credentials": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(IssuerKey)
class IssuerKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "algorithm", "signing", "created_at", "retired_at"]
    exclude = ["private_key_pem"]  # never shown
    readonly_fields = ["kid", "algorithm", "public_jwk", "signing", "created_at", "retired_at"]

    def has_add_permission(self, request):
        return False  # manage.py credential_keys --rotate

    def has_delete_permission(self, request, obj=None):
        return False  # its credentials would stop verifying


@admin.register(StatusList)
class StatusListAdmin(admin.ModelAdmin):
    list_display = ["pk", "purpose", "size", "created_at"]
    readonly_fields = ["purpose", "size", "created_at"]
