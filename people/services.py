"""Writes about people and organisations. Views, commands and tasks call these."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Cohort, Institution, Membership, Role, User

# Wagtail admin groups that mirror platform roles (created by cms' data migration).
TEACHERS_GROUP = "Teachers"
CURRICULUM_LEADS_GROUP = "Curriculum leads"


@transaction.atomic
def membership_create(
    *, user: User, role: str, cohort: Cohort | None = None, institution: Institution | None = None
) -> Membership:
    """Give a user a role; idempotent. Teachers also get the Wagtail admin via their group."""
    if (cohort is None) == (institution is None):
        raise ValueError("Give exactly one of cohort or institution.")
    membership, _created = Membership.objects.get_or_create(
        user=user, role=role, cohort=cohort, institution=institution
    )
    if role == Role.TEACHER:
        group = Group.objects.filter(name=TEACHERS_GROUP).first()
        if group is not None:
            user.groups.add(group)
    user.__dict__.pop("_roles_cache", None)
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Remove a role. Records the person created (submissions, progress) are kept."""
    user = membership.user
    membership.delete()
    if (
        membership.role == Role.TEACHER
        and not Membership.objects.filter(user=user, role=Role.TEACHER).exists()
    ):
        user.groups.remove(*Group.objects.filter(name=TEACHERS_GROUP))


# ---------------------------------------------------------------------------------------
# Changing one's e-mail address: only by a link sent to the new address
# ---------------------------------------------------------------------------------------
# An address changes only when its owner proves they read it, signed in as the account
# that asked: whoever holds a session (a shared school computer, a stolen token) cannot
# move the account's password resets to a mailbox of theirs. The link carries the account,
# the address it was sent from and the new one, signed (django.core.signing, with the
# SECRET_KEY) and dated; nothing is stored until it is opened.
EMAIL_CHANGE_SALT = "people.email-change"
EMAIL_CHANGE_MAX_AGE = timedelta(hours=24)


class EmailChangeRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def same_address(a: str, b: str) -> bool:
    """E-mail addresses compared as Django's PasswordResetForm does (CVE-2019-19844)."""

    def normal(address: str) -> str:
        return unicodedata.normalize("NFKC", address).casefold()

    return normal(a) == normal(b)


def email_change_request(*, user: User, new_email: str, site_url: str) -> None:
    """Mail a link to `new_email` that changes the account's address when its owner opens
    it, signed in (email_change_confirm). `site_url`: scheme and host, e.g.
    https://skills.example.az. The link and the mail are in the user's language."""
    token = signing.dumps(
        {"user": user.pk, "from": user.email, "to": new_email}, salt=EMAIL_CHANGE_SALT
    )
    language = user.preferred_language or translation.get_language()
    with translation.override(language):
        context = {
            "user": user,
            "new_email": new_email,
            "link": site_url + reverse("email-change-confirm", args=[token]),
            "hours": int(EMAIL_CHANGE_MAX_AGE.total_seconds() // 3600),
        }
        subject = _("Confirm your new e-mail address")
        body = render_to_string("people/email_change_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [new_email])


def email_change_check(*, user: User, token: str) -> str:
    """The new address a link would give `user`'s account, or why it gives none."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise EmailChangeRefused(
            _("This link has expired. Ask for the change again from your account.")
        ) from exc
    except signing.BadSignature as exc:
        raise EmailChangeRefused(
            _("This link is not valid. Open the link from the e-mail exactly as it is.")
        ) from exc
    if data.get("user") != user.pk:
        raise EmailChangeRefused(
            _("This link was sent for another account. Sign in as that account to open it.")
        )
    if data.get("from") != user.email:
        raise EmailChangeRefused(
            _("Your e-mail address has changed since this link was sent. Ask again.")
        )
    return data["to"]


@transaction.atomic
def email_change_confirm(*, user: User, token: str) -> str:
    """Give `user`'s account the address the link was sent to; returns it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    new_email = email_change_check(user=user, token=token)
    user.email = new_email
    user.save(update_fields=["email"])
    return new_email
