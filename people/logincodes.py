"""First login for imported students: one-time codes that let a person choose a password.

Imported accounts start without a usable password and often without an e-mail address
(people/imports.py). The cohort's teachers and institution admins (who exactly:
`access.login_code_students`) hand each pupil a one-time code:

- on a printed class login sheet (people/loginsheet.py: one card per pupil who has not
  chosen a password yet) or on a single card ("reset this pupil's password", which also
  makes the current password stop working);
- in an invitation e-mail, for pupils with an address.

The pupil types the username and the code on the first-login page, or opens the card's
QR code or the e-mail's link, which fill both in, then chooses a password (Django's
validators) and is logged in. Nobody is logged in before a password is chosen.

Codes are random, stored only as a keyed hash (`code_hash`), work once and for
CODE_LIFETIME. Each person has at most one live code per channel (paper, e-mail): a new
sheet, card or invitation revokes the older one; choosing a password uses the code and
revokes every other. Guessing is limited three ways: django-axes locks the username for
the client's address after a few wrong codes (as for wrong passwords), wrong codes per
address are limited (FIRST_LOGIN_FAILURES_PER_IP, in the view), and a code is blocked
after MAX_FAILED_ATTEMPTS wrong codes typed for its person from anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.translation import gettext as _

from . import access
from .models import Cohort, LoginCode, User

# No 0/O, 1/I/L: a pupil copies the code from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# 31**8 ≈ 8.5e11 codes on paper (typed by a child), 31**24 in a link nobody types.
PRINTED_CODE_LENGTH = 8
EMAILED_CODE_LENGTH = 24
CODE_GROUP = 4  # shown as ABCD-EFGH
CODE_LIFETIME = timedelta(days=14)
# Wrong codes typed for one person (from any address) before their live codes are
# blocked. Bounds a guesser with many addresses; a classmate who wants to annoy needs
# several lockout cool-offs to reach it, and the teacher prints a new card.
MAX_FAILED_ATTEMPTS = 20
# Older codes are kept for the messages ("already used", "replaced") and as a record.
RECENT_CODES = 50
HASH_SALT = "people.logincodes"


# ---------------------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------------------
def code_hash(user_id: int, code: str) -> str:
    """The stored form of `code` for `user_id`: an HMAC keyed with SECRET_KEY, bound to
    the person (another person's hash never matches). Fast on purpose: the codes are
    random, and guessing is limited online; the key keeps a copied database useless."""
    return salted_hmac(HASH_SALT, f"{user_id}:{code}", algorithm="sha256").hexdigest()


def normalize_code(raw: str) -> str:
    """What the person typed, as stored: letters upper case, no spaces or dashes."""
    return re.sub(r"[\s\-]+", "", raw or "").upper()


def display_code(code: str) -> str:
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def first_login_url(*, site_url: str, user: User, code: str, language: str) -> str:
    """The address on the card's QR code and in the e-mail: the first-login page with the
    username and the code filled in, in `language`."""
    with translation.override(language):
        path = reverse("first-login")
    return f"{site_url}{path}?{urlencode({'u': user.get_username(), 'code': code})}"


@dataclass(frozen=True)
class IssuedCode:
    """A code just made: the only moment it exists in clear, to print or to send."""

    user: User
    code: str
    channel: str
    expires_at: datetime
    url: str  # the first-login page with username and code filled in

    @property
    def display_code(self) -> str:
        return display_code(self.code)


def _language_of(user: User) -> str:
    return user.preferred_language or translation.get_language() or settings.LANGUAGE_CODE


def _issue(*, actor: User, users: Iterable[User], channel: str, site_url: str) -> list[IssuedCode]:
    """New codes for `users` on `channel`, revoking their older live ones on it. Call
    inside a transaction, with users already checked against `access`."""
    users = list(users)
    # The people first, in one order: a second click on "Print" waits for the first to
    # finish, then revokes its codes, instead of breaking the one-live-code constraint.
    list(
        User.objects.select_for_update()
        .filter(pk__in=[user.pk for user in users])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    LoginCode.objects.filter(
        user__in=users, channel=channel, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    length = PRINTED_CODE_LENGTH if channel == LoginCode.Channel.PRINTED else EMAILED_CODE_LENGTH
    expires_at = now + CODE_LIFETIME
    issued, rows = [], []
    for user in users:
        code = get_random_string(length, allowed_chars=CODE_ALPHABET)
        rows.append(
            LoginCode(
                user=user,
                channel=channel,
                code_hash=code_hash(user.pk, code),
                created_by=actor,
                created_at=now,
                expires_at=expires_at,
            )
        )
        url = first_login_url(site_url=site_url, user=user, code=code, language=_language_of(user))
        issued.append(IssuedCode(user, code, channel, expires_at, url))
    LoginCode.objects.bulk_create(rows)
    return issued


class NotAllowed(Exception):
    """The actor may not issue a code for this person (see access.login_code_students)."""


def sheet_students(*, actor: User, cohort: Cohort) -> list[User]:
    """The pupils a class login sheet has a card for: those `actor` may issue codes for
    who have not chosen a password yet, in the order of the cohort page."""
    students = access.login_code_students(actor, cohort).order_by(
        "last_name", "first_name", "username"
    )
    return [user for user in students if not user.has_usable_password()]


@transaction.atomic
def login_sheet_issue(*, actor: User, cohort: Cohort, site_url: str) -> list[IssuedCode]:
    """Printed codes for every pupil of `sheet_students`; earlier sheets' codes of the
    same pupils stop working. Empty when every pupil has a password."""
    return _issue(
        actor=actor,
        users=sheet_students(actor=actor, cohort=cohort),
        channel=LoginCode.Channel.PRINTED,
        site_url=site_url,
    )


@transaction.atomic
def password_reset_card(*, actor: User, cohort: Cohort, student: User, site_url: str) -> IssuedCode:
    """Reset this pupil's password: the current password stops working now (and every
    session of the account ends), and a new printed code lets the pupil choose another.
    Nobody ever sees a password."""
    if not access.login_code_students(actor, cohort).filter(pk=student.pk).exists():
        raise NotAllowed
    student = User.objects.select_for_update().get(pk=student.pk)
    student.set_unusable_password()
    student.save(update_fields=["password"])
    (issued,) = _issue(
        actor=actor, users=[student], channel=LoginCode.Channel.PRINTED, site_url=site_url
    )
    return issued


# ---------------------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InvitationResult:
    sent: int  # e-mails sent
    without_address: int  # pupils without a password and without an address: print theirs


def invitation_candidates(*, actor: User, cohort: Cohort) -> tuple[list[User], list[User]]:
    """Pupils without a password `actor` may invite: (with an address, without one)."""
    waiting = sheet_students(actor=actor, cohort=cohort)
    return [u for u in waiting if u.email], [u for u in waiting if not u.email]


def invitations_send(*, actor: User, cohort: Cohort, site_url: str) -> InvitationResult:
    """E-mail each pupil without a password who has an address a link that lets them
    choose one; older invitations stop working. The codes are stored only if the mail
    server took every e-mail: a failure raises and leaves nothing behind (the links of
    any e-mail that went out stop working; sending again replaces them)."""
    with_address, without = invitation_candidates(actor=actor, cohort=cohort)
    with transaction.atomic():
        issued = _issue(
            actor=actor, users=with_address, channel=LoginCode.Channel.EMAILED, site_url=site_url
        )
        messages = [_invitation_email(item, cohort=cohort, site_url=site_url) for item in issued]
        if messages:
            get_connection().send_messages(messages)
    return InvitationResult(sent=len(messages), without_address=len(without))


def _invitation_email(item: IssuedCode, *, cohort: Cohort, site_url: str) -> EmailMessage:
    with translation.override(_language_of(item.user)):
        context = {
            "user": item.user,
            "cohort": cohort,
            "link": item.url,
            "days": CODE_LIFETIME.days,
            "login_url": site_url + reverse("login"),
            "platform_name": settings.PLATFORM_NAME,
        }
        subject = _("Choose your password for %(platform)s") % {"platform": settings.PLATFORM_NAME}
        body = render_to_string("people/login_invitation_email.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [item.user.email])


# ---------------------------------------------------------------------------------------
# Using a code
# ---------------------------------------------------------------------------------------
class CodeRefused(Exception):
    """Why a code sets no password. `guess` is True when it looked like a guess (no code
    of that person matched): the caller counts it against the address and the username."""

    def __init__(self, message: str, *, guess: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.guess = guess


def _wrong() -> CodeRefused:
    return CodeRefused(
        _("The username or the code is not right. Check both on your card and try again."),
        guess=True,
    )


def _problem(login_code: LoginCode, now: datetime) -> CodeRefused | None:
    """Why a code that matched is no good any more, or None. Told only to someone who
    typed the right code, so it gives nothing away."""
    if login_code.used_at is not None:
        return CodeRefused(
            _(
                "This code was already used to choose a password. Log in with your password, "
                "or ask your teacher for a new card if you have forgotten it."
            )
        )
    if login_code.revoked_at is not None:
        return CodeRefused(
            _(
                "This code was replaced by a newer one. Use the code on your newest card or "
                "e-mail, or ask your teacher for a new card."
            )
        )
    if login_code.expires_at <= now:
        return CodeRefused(_("This code has expired. Ask your teacher for a new card."))
    if login_code.failed_attempts >= MAX_FAILED_ATTEMPTS:
        return CodeRefused(
            _("This code was blocked after too many wrong tries. Ask your teacher for a new card.")
        )
    return None


def _account(username: str) -> User | None:
    """The active account with this username; letter case ignored where that is unique,
    as imports do ('Aysel.Aliyeva' is 'aysel.aliyeva')."""
    username = (username or "").strip()
    if not username:
        return None
    exact = User.objects.filter(username=username, is_active=True).first()
    if exact is not None:
        return exact
    found = list(User.objects.filter(username__iexact=username, is_active=True)[:2])
    return found[0] if len(found) == 1 else None


def login_code_check(*, username: str, code: str) -> LoginCode:
    """The live code `code` of the account `username`, or CodeRefused. A wrong code counts
    as a failed attempt on the account's live codes (it cannot tell which was meant), so
    it changes nothing else."""
    code = normalize_code(code)
    user = _account(username)
    if user is None or not code or len(code) > EMAILED_CODE_LENGTH:
        raise _wrong()
    wanted = code_hash(user.pk, code)
    now = timezone.now()
    recent = LoginCode.objects.filter(user=user)[:RECENT_CODES]
    matched = next((c for c in recent if constant_time_compare(c.code_hash, wanted)), None)
    if matched is None:
        LoginCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
            failed_attempts=F("failed_attempts") + 1
        )
        raise _wrong()
    problem = _problem(matched, now)
    if problem is not None:
        raise problem
    return matched


def login_code_live(*, login_code_id: int, user_id: int) -> LoginCode:
    """The code checked a moment ago (first-login step two), still good, or CodeRefused."""
    login_code = (
        LoginCode.objects.select_related("user")
        .filter(pk=login_code_id, user_id=user_id, user__is_active=True)
        .first()
    )
    if login_code is None:
        raise _wrong()
    problem = _problem(login_code, timezone.now())
    if problem is not None:
        raise problem
    return login_code


def _lock_live(*, login_code_id: int, user_id: int) -> tuple[User, LoginCode, datetime]:
    """The person and their code, locked (in the order `_issue` locks them in), the code
    still good, or CodeRefused. Call inside a transaction."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    login_code = (
        LoginCode.objects.select_for_update().filter(pk=login_code_id, user=user).first()
        if user is not None
        else None
    )
    if login_code is None:
        raise _wrong()
    now = timezone.now()
    problem = _problem(login_code, now)
    if problem is not None:
        raise problem
    return user, login_code, now


def _use_up(*, user: User, login_code: LoginCode, now: datetime) -> None:
    login_code.used_at = now
    login_code.save(update_fields=["used_at"])
    LoginCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )


@transaction.atomic
def login_code_redeem(*, login_code_id: int, user_id: int, password: str) -> User:
    """Set the account's password with its code: the code is used, every other live code
    of the account revoked. Checked again under a lock, so two tabs cannot both use it.
    `password` has passed the password validators (SetPasswordForm)."""
    user, login_code, now = _lock_live(login_code_id=login_code_id, user_id=user_id)
    user.set_password(password)
    user.save(update_fields=["password"])
    _use_up(user=user, login_code=login_code, now=now)
    return user


@transaction.atomic
def login_code_spend(*, login_code_id: int, user_id: int) -> User:
    """Use the code up without choosing a password: the person proved who they are another
    way (single sign-on links their identity provider account with it). Every other live
    code of the account is revoked, as when a password is chosen; checked again under a
    lock. The caller's transaction decides: if what it does next fails, the code stays."""
    user, login_code, now = _lock_live(login_code_id=login_code_id, user_id=user_id)
    _use_up(user=user, login_code=login_code, now=now)
    return user
