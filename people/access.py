"""Who may see what. Every view and API asks these functions; nothing else decides.

- a student sees only their own records;
- a teacher sees the cohorts they teach (or every cohort of an institution they teach at);
- an institution admin sees their institution;
- a ministry analyst sees aggregates only, never a person;
- an import reaches only accounts of the cohort's institution (`importable_accounts`).
Platform staff (is_staff) use the Django admin and are not covered here; nobody may put a
staff or superuser account into a cohort by import.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from lms.cache import Namespace

from .models import Cohort, Institution, Membership, Role, User

# Every user's roles, cached between requests; any change of a membership, of a user's
# groups or permissions, or of a group's permissions retires them all (people/signals.py).
ROLES = Namespace("people:roles")


@dataclass(frozen=True)
class Roles:
    """The roles a user holds, read once per request (from the cache while none changed)."""

    student: bool = False
    teacher: bool = False
    institution_admin: bool = False
    ministry_analyst: bool = False
    # may use the authoring interface (Wagtail's `wagtailadmin.access_admin`): the page
    # toolbar is shown to these users only
    admin_access: bool = False

    @property
    def any(self) -> bool:
        return self.student or self.teacher or self.institution_admin or self.ministry_analyst


def roles_of(user: User) -> Roles:
    if not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_roles_cache", None)
    if cached is not None:
        return cached
    # kept in this process too (frozen): a request then reads only the roles' version
    roles = ROLES.get_or_set(
        (user.pk, int(user.is_active), int(user.is_superuser)),
        lambda: _read_roles(user),
        local=True,
    )
    user._roles_cache = roles
    return roles


def _read_roles(user: User) -> Roles:
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return Roles(
        student=Role.STUDENT in held,
        teacher=Role.TEACHER in held,
        institution_admin=Role.INSTITUTION_ADMIN in held,
        ministry_analyst=Role.MINISTRY_ANALYST in held,
        admin_access=user.has_perm("wagtailadmin.access_admin"),
    )


def administered_institutions(user: User) -> QuerySet[Institution]:
    return Institution.objects.filter(
        memberships__user=user, memberships__role=Role.INSTITUTION_ADMIN
    ).distinct()


def taught_cohorts(user: User) -> QuerySet[Cohort]:
    """Cohorts the user teaches directly, or through a teacher role at the institution."""
    return Cohort.objects.filter(
        Q(memberships__user=user, memberships__role=Role.TEACHER)
        | Q(
            institution__memberships__user=user,
            institution__memberships__role=Role.TEACHER,
        )
    ).distinct()


def taught_cohort_ids(user: User) -> frozenset[int]:
    """The ids of `taught_cohorts(user)`, cached with the roles (ROLES): retired by a
    membership made, changed or removed and by a cohort created, changed or deleted."""
    if not user.is_authenticated:
        return frozenset()
    return ROLES.get_or_set(
        ("taught-cohorts", user.pk),
        lambda: frozenset(taught_cohorts(user).values_list("pk", flat=True)),
    )


def managed_cohorts(user: User) -> QuerySet[Cohort]:
    """Cohorts whose members the user may see: taught ones and those of administered schools."""
    if not user.is_authenticated:
        return Cohort.objects.none()
    return Cohort.objects.filter(
        Q(pk__in=taught_cohorts(user).values("pk"))
        | Q(institution__in=administered_institutions(user).values("pk"))
    ).distinct()


def visible_institutions(user: User) -> QuerySet[Institution]:
    """Institutions are public facts for analysts; others see where they belong."""
    if not user.is_authenticated:
        return Institution.objects.none()
    if roles_of(user).ministry_analyst:
        return Institution.objects.all()
    return Institution.objects.filter(
        Q(memberships__user=user) | Q(cohorts__memberships__user=user)
    ).distinct()


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    """See members and progress of a cohort: its teachers and its institution's admins."""
    return managed_cohorts(user).filter(pk=cohort.pk).exists()


def can_administer_cohort(user: User, cohort: Cohort) -> bool:
    """Change a cohort's membership (import students): admins of its institution only."""
    return administered_institutions(user).filter(pk=cohort.institution_id).exists()


def can_administer_institution(user: User, institution: Institution) -> bool:
    return administered_institutions(user).filter(pk=institution.pk).exists()


def visible_students(user: User) -> QuerySet[User]:
    """People whose records the user may open. A ministry analyst gets nobody."""
    if not user.is_authenticated:
        return User.objects.none()
    return User.objects.filter(
        Q(pk=user.pk)
        | Q(
            memberships__role=Role.STUDENT,
            memberships__cohort__in=managed_cohorts(user).values("pk"),
        )
    ).distinct()


def institution_members(institution_id: int) -> QuerySet[User]:
    """Everyone holding a role (any) at the institution or in one of its cohorts."""
    return User.objects.filter(
        Q(memberships__institution_id=institution_id)
        | Q(memberships__cohort__institution_id=institution_id)
    ).distinct()


def importable_accounts(cohort: Cohort) -> QuerySet[User]:
    """Existing accounts an import into `cohort` may add to it: members (any role) of the
    cohort's institution, such as a pupil moving to another class of the same school.

    Anyone else (another institution's people, an analyst, an account without membership)
    is out of reach of that institution's admins: adding them to a cohort would let its
    teachers read their work. Staff and superusers never, whatever their memberships."""
    return institution_members(cohort.institution_id).filter(is_staff=False, is_superuser=False)


def transferable_accounts() -> QuerySet[User]:
    """Accounts platform staff may move into another institution's cohort
    (`import_students --allow-transfer`): students, and nothing else, somewhere. Never
    anyone who teaches, administers or analyses, nor staff or superusers."""
    return (
        User.objects.filter(is_staff=False, is_superuser=False, memberships__role=Role.STUDENT)
        .exclude(memberships__role__in=[r for r in Role.values if r != Role.STUDENT])
        .distinct()
    )


def login_code_students(user: User, cohort: Cohort) -> QuerySet[User]:
    """Students of `cohort` for whom `user` may print login codes, reset the password or
    send an invitation (people/logincodes.py): a code sets the account's password, so it
    is as strong as taking the account over. Hence only accounts that are students and
    nothing else (no teacher, admin or analyst role, not staff, active), and whose every
    cohort `user` manages: a teacher of 9-A cannot take over a pupil who also learns in a
    group someone else teaches; the institution's admins can. Nobody, for anyone, if
    `user` does not manage `cohort`."""
    if not can_manage_cohort(user, cohort):
        return User.objects.none()
    # memberships anywhere else: in a cohort the user does not manage, or at an institution
    elsewhere = Membership.objects.exclude(cohort__in=managed_cohorts(user).values("pk"))
    return (
        User.objects.filter(
            memberships__cohort=cohort,
            memberships__role=Role.STUDENT,
            is_active=True,
            is_staff=False,
            is_superuser=False,
        )
        .exclude(memberships__role__in=[r for r in Role.values if r != Role.STUDENT])
        .exclude(pk__in=elsewhere.values("user_id"))
        .distinct()
    )


def local_password_allowed(user: User) -> bool:
    """May `user` log in with a password? Not when every institution they belong to (at
    the institution or through a cohort) has turned local passwords off: they sign in
    through an identity provider. Staff, and people who belong nowhere, always may."""
    if user.is_staff or user.is_superuser:
        return True
    flags = set(
        Institution.objects.filter(
            Q(memberships__user=user) | Q(cohorts__memberships__user=user)
        ).values_list("allow_local_passwords", flat=True)
    )
    return not flags or True in flags
