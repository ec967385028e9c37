"""Identity providers people sign in with (OpenID Connect), and whose account is whose.

An account is found by the provider and a stable claim of its ID token (`sub` unless the
provider says otherwise), through `ExternalIdentity`, and never by e-mail address: an
address is neither unique nor stable, and matching by it would hand an account to whoever
an identity provider gives that address to. The first sign-in of a subject links it to
an account with the one-time code the institution handed out (people/logincodes.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdentityProvider(models.Model):
    """An OpenID Connect provider (national e-government ID, a university's IdP), set up by
    platform staff in the Django admin. Endpoints come from the issuer's discovery
    document when it is saved there (sso/discovery.py)."""

    class TokenAuth(models.TextChoices):
        BASIC = "client_secret_basic", _("HTTP Basic (client_secret_basic)")
        POST = "client_secret_post", _("In the request body (client_secret_post)")

    # shown on the login page: "Sign in with <name>"
    name = models.CharField(_("name"), max_length=100)
    # in the address of the sign-in button: /sso/<slug>/login/
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    # exactly as the provider's discovery document and ID tokens say it
    issuer = models.URLField(
        _("issuer"),
        max_length=300,
        unique=True,
        help_text=_(
            "The provider's issuer URL; its /.well-known/openid-configuration is read when "
            "this form is saved."
        ),
    )
    # the platform's registration at the provider
    client_id = models.CharField(_("client ID"), max_length=200)
    client_secret = models.CharField(_("client secret"), max_length=500)
    # how the token request proves the client: most providers take both, some only one
    token_auth_method = models.CharField(
        _("client authentication"),
        max_length=20,
        choices=TokenAuth.choices,
        default=TokenAuth.BASIC,
    )
    # asked for in the authorization request; "openid" is always included
    scopes = models.CharField(_("scopes"), max_length=200, default="openid")
    # the ID token claim that identifies a person at this provider, stable over time
    match_claim = models.CharField(
        _("claim to match"),
        max_length=100,
        default="sub",
        help_text=_(
            "The ID token claim that identifies a person for good. Keep 'sub' unless the "
            "provider documents another stable identifier. Never an e-mail address."
        ),
    )
    # off: no button on the login page, and sign-ins under way are refused
    enabled = models.BooleanField(_("enabled"), default=True)
    # from the discovery document
    authorization_endpoint = models.URLField(_("authorization endpoint"), max_length=300)
    token_endpoint = models.URLField(_("token endpoint"), max_length=300)
    jwks_uri = models.URLField(_("JWK Set URL"), max_length=300)
    end_session_endpoint = models.URLField(_("end session endpoint"), max_length=300, blank=True)
    # when the discovery document was last read
    discovered_at = models.DateTimeField(_("discovered"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return self.name

    @property
    def scope_list(self) -> list[str]:
        scopes = self.scopes.split()
        return scopes if "openid" in scopes else ["openid", *scopes]


class ExternalIdentity(models.Model):
    """This person is this subject at this provider. Made only by linking with a one-time
    code (or by staff in the admin); removing it unlinks."""

    provider = models.ForeignKey(
        IdentityProvider,
        verbose_name=_("identity provider"),
        on_delete=models.PROTECT,  # disable a provider rather than lose whose account is whose
        related_name="identities",
    )
    # the value of the provider's match claim (usually `sub`)
    subject = models.CharField(_("subject"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="external_identities",
    )
    # when it was linked
    created_at = models.DateTimeField(_("linked"), default=timezone.now, editable=False)
    # the last sign-in through it
    last_used_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="external_identity_one_account"
            ),
            # one account at a provider per person: a second would be someone else's
            models.UniqueConstraint(
                fields=["provider", "user"], name="external_identity_one_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.subject} → {self.user}"


class SignInEvent(models.Model):
    """One sign-in through a provider that got as far as the platform's callback: who, and
    how it ended. For staff in the admin; the reason of a refusal is also logged."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        UNLINKED = "unlinked", _("Not linked yet: asked for a code")
        LINKED = "linked", _("Linked with a one-time code")
        REFUSED = "refused", _("Refused")

    provider = models.ForeignKey(
        IdentityProvider,
        verbose_name=_("identity provider"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    # why it was refused, for people who fix it (sso.oidc.Reason), e.g. "unknown_key"
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    # what the check found, for staff (never a token or a secret)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    # the subject the provider vouched for, when its token was verified
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        indexes = [models.Index(fields=["provider", "-at"])]

    def __str__(self) -> str:
        return f"{self.provider} · {self.get_outcome_display()} · {self.at:%Y-%m-%d %H:%M}"
