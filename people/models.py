"""People and organisations: users, regions, institutions, cohorts and memberships.

A user's rights come from memberships only: a role held at an institution (institution
admin, ministry analyst, teacher of the whole school) or in a cohort (student, teacher of
that class). Checks live in people/access.py, never in templates.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TranslatedNameMixin(models.Model):
    """Names stored in the three platform languages; `name` picks the active one."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_az = models.CharField(_("name (Azerbaijani)"), max_length=200, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        lang = (get_language() or "en")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_en


class User(AbstractUser):
    """A person using the platform. Roles come from `Membership`, not from flags here."""

    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        blank=True,
        help_text=_("Pages open in this language after login."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Region(TranslatedNameMixin):
    """An economic region or a city of the country; cities belong to a region."""

    class Kind(models.TextChoices):
        ECONOMIC_REGION = "region", _("Economic region")
        CITY = "city", _("City")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Institution(TranslatedNameMixin):
    """A school, a university, the state scholarship programme, or a ministry / agency."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("School")
        UNIVERSITY = "university", _("University")
        SCHOLARSHIP = "scholarship", _("State scholarship programme")
        MINISTRY = "ministry", _("Ministry or agency")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="institutions"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Off: its members sign in through an identity provider (single sign-on) only. A person
    # is refused a password login when every institution they belong to has it off
    # (access.local_password_allowed); platform staff never are.
    allow_local_passwords = models.BooleanField(
        _("local passwords allowed"),
        default=True,
        help_text=_(
            "Untick when the institution's people sign in only through an identity provider."
        ),
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        indexes = [models.Index(fields=["kind", "region"])]


class Track(models.TextChoices):
    """The three tracks the ministry reports on."""

    SCHOOL = "school", _("School")
    UNIVERSITY = "university", _("University")
    SCHOLARSHIP = "scholarship", _("State scholarship")


class Cohort(models.Model):
    """A group that learns together: a school class, a university group, a scholarship intake."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="cohorts"
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("For example: 9-A, CS-21"))
    code = models.SlugField(
        _("code"),
        max_length=80,
        unique=True,
        help_text=_("Stable identifier used by imports and the API."),
    )
    track = models.CharField(_("track"), max_length=12, choices=Track.choices)
    academic_year = models.CharField(
        _("academic year"), max_length=9, help_text=_("For example: 2026-2027")
    )
    level = models.CharField(
        _("level"),
        max_length=40,
        blank=True,
        help_text=_("Grade band (5-9, 10-11), bachelor / master, or the host university."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["institution__name_en", "academic_year", "name"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "name", "academic_year"], name="cohort_unique_name_per_year"
            ),
            models.CheckConstraint(
                condition=Q(academic_year__regex=r"^[0-9]{4}-[0-9]{4}$"),
                name="cohort_academic_year_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.academic_year})"


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    TEACHER = "teacher", _("Teacher")
    INSTITUTION_ADMIN = "institution_admin", _("Institution admin")
    MINISTRY_ANALYST = "ministry_analyst", _("Ministry analyst")


class Membership(models.Model):
    """A role held by a user in a cohort (students, teachers) or at an institution."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # exactly one of cohort / institution is set (see constraints)
    cohort = models.ForeignKey(
        Cohort,
        verbose_name=_("cohort"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(Q(cohort__isnull=False, institution__isnull=True))
                | (Q(cohort__isnull=True, institution__isnull=False)),
                name="membership_cohort_xor_institution",
            ),
            # students and teachers belong to cohorts; admins and analysts to institutions
            models.CheckConstraint(
                condition=(Q(role__in=["student"], cohort__isnull=False))
                | Q(role__in=["teacher"])
                | Q(role__in=["institution_admin", "ministry_analyst"], institution__isnull=False),
                name="membership_role_scope",
            ),
            models.UniqueConstraint(
                fields=["user", "cohort", "role"],
                condition=Q(cohort__isnull=False),
                name="membership_unique_in_cohort",
            ),
            models.UniqueConstraint(
                fields=["user", "institution", "role"],
                condition=Q(institution__isnull=False),
                name="membership_unique_at_institution",
            ),
        ]
        indexes = [models.Index(fields=["role", "cohort"]), models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.cohort or self.institution}"


class LoginCode(models.Model):
    """A one-time code that lets a person choose a password (people/logincodes.py): printed
    on a class login sheet or a single card, or sent in an invitation e-mail.

    Only a keyed hash of the code is stored. A person has at most one live code per
    channel: a new sheet, card or invitation revokes the older one, and choosing a
    password with any code uses it and revokes the rest."""

    class Channel(models.TextChoices):
        PRINTED = "printed", _("Printed card")
        EMAILED = "emailed", _("E-mail invitation")

    # whose password the code sets
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="login_codes"
    )
    # on paper (class sheet, single card) or in an e-mail; each has its own live code
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # HMAC-SHA256 of the user and the code, keyed with SECRET_KEY: the database alone
    # does not give the codes away, even short ones
    code_hash = models.CharField(_("code hash"), max_length=64)
    # when the code was made (expires_at counts from the same moment)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # the teacher or institution admin who printed or sent it (kept if they leave)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # after this the code sets no password
    expires_at = models.DateTimeField(_("expires"))
    # when a password was chosen with it (single use)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # when a newer code, or a password chosen with another one, made it stop working
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # wrong codes typed for this person while the code was live; at the limit it is blocked
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "channel"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="login_code_one_live_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_channel_display()} · {self.created_at:%Y-%m-%d}"
