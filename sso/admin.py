"""Identity providers in the Django admin (platform staff): set-up, links, recent sign-ins."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .discovery import DiscoveryFailed, discover
from .models import ExternalIdentity, IdentityProvider, SignInEvent


class IdentityProviderForm(forms.ModelForm):
    """Saving reads the issuer's discovery document: an issuer that cannot be read, or
    that names another issuer, is refused here with the reason, and nothing is saved."""

    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the secret already stored."),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "name",
            "slug",
            "issuer",
            "client_id",
            "client_secret",
            "token_auth_method",
            "scopes",
            "match_claim",
            "enabled",
        ]

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret") or ""
        if not secret and self.instance.pk:
            return self.instance.client_secret
        if not secret:
            raise forms.ValidationError(
                _("Enter the client secret the provider gave the platform.")
            )
        return secret

    def clean(self):
        cleaned = super().clean()
        issuer = cleaned.get("issuer")
        if issuer:
            try:
                self.discovery = discover(issuer)
            except DiscoveryFailed as failed:
                self.add_error("issuer", failed.message)
        return cleaned

    def save(self, commit=True):
        services.provider_apply_discovery(provider=self.instance, discovery=self.discovery)
        return super().save(commit=commit)


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    list_display = ["name", "issuer", "enabled", "linked_accounts", "last_sign_in"]
    list_filter = ["enabled"]
    search_fields = ["name", "issuer", "client_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = [
        "addresses_to_register",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "discovered_at",
        "recent_sign_ins",
    ]
    fieldsets = (
        (None, {"fields": ("name", "slug", "enabled")}),
        (
            _("Registration at the provider"),
            {
                "fields": (
                    "issuer",
                    "client_id",
                    "client_secret",
                    "token_auth_method",
                    "scopes",
                    "addresses_to_register",
                )
            },
        ),
        (_("Matching accounts"), {"fields": ("match_claim",)}),
        (
            _("From the discovery document"),
            {
                "fields": (
                    "authorization_endpoint",
                    "token_endpoint",
                    "jwks_uri",
                    "end_session_endpoint",
                    "discovered_at",
                )
            },
        ),
        (_("Recent sign-ins"), {"fields": ("recent_sign_ins",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("identities")

    @admin.display(description=_("linked accounts"))
    def linked_accounts(self, provider: IdentityProvider) -> int:
        return len(provider.identities.all())

    @admin.display(description=_("last sign-in"))
    def last_sign_in(self, provider: IdentityProvider):
        event = provider.events.first()
        return f"{event.at:%Y-%m-%d %H:%M} · {event.get_outcome_display()}" if event else "–"

    @admin.display(description=_("addresses to register at the provider"))
    def addresses_to_register(self, provider: IdentityProvider) -> str:
        base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        return format_html(
            "{}: <code>{}</code><br>{}: <code>{}</code>",
            _("Redirect URI"),
            base + reverse("sso-callback"),
            _("Post-logout redirect URI"),
            base + reverse("sso-logged-out"),
        )

    @admin.display(description=_("recent sign-ins"))
    def recent_sign_ins(self, provider: IdentityProvider) -> str:
        if provider.pk is None:
            return "–"
        rows = [
            (
                f"{event.at:%Y-%m-%d %H:%M:%S}",
                event.get_outcome_display(),
                event.reason,
                event.detail,
                event.user or "",
            )
            for event in selectors.recent_events(provider)
        ]
        if not rows:
            return _("None yet.")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("at"),
            _("outcome"),
            _("reason"),
            _("detail"),
            _("user"),
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
            ),
        )


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """Whose account is whose. Staff may link an account by hand (a teacher, who gets no
    one-time code) or unlink one by deleting the row."""

    list_display = ["user", "provider", "subject", "created_at", "last_used_at"]
    list_filter = ["provider"]
    search_fields = ["user__username", "subject"]
    list_select_related = ["user", "provider"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "last_used_at"]


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """The record of sign-ins through providers; written by the sign-ins only."""

    list_display = ["at", "provider", "outcome", "reason", "detail", "user"]
    list_filter = ["provider", "outcome", "reason"]
    search_fields = ["subject", "user__username"]
    list_select_related = ["provider", "user"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
