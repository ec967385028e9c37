"""Reads about people and organisations for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from . import access
from .models import Cohort, Institution, LoginCode, Membership, Role, Track, User


def cohorts_with_counts(qs: QuerySet[Cohort]) -> QuerySet[Cohort]:
    """Counts over a fresh query: `qs` may already be filtered through memberships, and
    counting over that join would count only the rows it kept."""
    return (
        Cohort.objects.filter(pk__in=qs.values("pk"))
        .select_related("institution")
        .annotate(
            student_count=Count(
                "memberships", filter=Q(memberships__role=Role.STUDENT), distinct=True
            ),
            teacher_count=Count(
                "memberships", filter=Q(memberships__role=Role.TEACHER), distinct=True
            ),
        )
    )


def student_cohorts(*, user: User) -> QuerySet[Cohort]:
    return Cohort.objects.filter(
        memberships__user=user, memberships__role=Role.STUDENT
    ).select_related("institution")


def cohort_members(*, cohort: Cohort, role: str) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(cohort=cohort, role=role)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


@dataclass(frozen=True)
class TrackFigure:
    track: str
    label: str
    institutions: int
    cohorts: int
    students: int | None  # None when suppressed (fewer than the minimum group size)


def national_overview() -> list[TrackFigure]:
    """Students per track, computed in the database; small groups are suppressed."""
    k = settings.REPORTS_MIN_GROUP_SIZE
    figures = []
    for track, label in Track.choices:
        row = Cohort.objects.filter(track=track).aggregate(
            institutions=Count("institution", distinct=True),
            cohorts=Count("pk", distinct=True),
            students=Count(
                "memberships__user",
                filter=Q(memberships__role=Role.STUDENT),
                distinct=True,
            ),
        )
        students = row["students"]
        figures.append(
            TrackFigure(
                track=track,
                label=str(label),
                institutions=row["institutions"],
                cohorts=row["cohorts"],
                students=students if students >= k else None,
            )
        )
    return figures


def institution_overview(*, user: User) -> QuerySet[Institution]:
    return (
        access.administered_institutions(user)
        .select_related("region")
        .annotate(
            cohort_count=Count("cohorts", distinct=True),
            student_count=Count(
                "cohorts__memberships__user",
                filter=Q(cohorts__memberships__role=Role.STUDENT),
                distinct=True,
            ),
        )
    )


@dataclass(frozen=True)
class PupilLogin:
    """A pupil's row on the cohort's logins page (people/logincodes.py)."""

    user: User
    has_password: bool
    may_issue: bool  # the viewer may print a card, reset the password (access rules)
    printed: LoginCode | None  # the live code of the latest card, if any
    emailed: LoginCode | None  # the live code of the latest invitation, if any


def cohort_logins(*, user: User, cohort: Cohort) -> list[PupilLogin]:
    """The cohort's pupils with their password state and live codes, in three queries."""
    allowed = set(access.login_code_students(user, cohort).values_list("pk", flat=True))
    live = LoginCode.objects.filter(used_at__isnull=True, revoked_at__isnull=True)
    members = cohort_members(cohort=cohort, role=Role.STUDENT).prefetch_related(
        Prefetch("user__login_codes", queryset=live, to_attr="live_codes")
    )
    rows = []
    for membership in members:
        pupil = membership.user
        by_channel = {code.channel: code for code in pupil.live_codes}
        rows.append(
            PupilLogin(
                user=pupil,
                has_password=pupil.has_usable_password(),
                may_issue=pupil.pk in allowed,
                printed=by_channel.get(LoginCode.Channel.PRINTED),
                emailed=by_channel.get(LoginCode.Channel.EMAILED),
            )
        )
    return rows
