"""The filters of a report: which month, framework and scope, validated once for every
interface (page, API, file, delivery), with the reason of a refusal in words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from curricula.models import CompetenceFramework
from people import access
from people.models import Institution, Region, Track, User

from . import caching

FILTER_KEYS = ("period", "framework", "region", "track", "kind", "institution")
IGNORED_KEYS = ("format", "lang")  # DRF's format override; the page's language switch


class FilterError(ValueError):
    """A filter the report cannot honour; the message says why, for a 400 answer."""


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def academic_year_of(month: date) -> str:
    """September starts the school and university year."""
    start = month.year if month.month >= 9 else month.year - 1
    return f"{start}-{start + 1}"


def _frameworks() -> list[CompetenceFramework]:
    """Every framework, in id order (a handful; cached, reports/caching.py)."""
    return caching.reference(
        ("frameworks",), lambda: list(CompetenceFramework.objects.order_by("pk"))
    )


def _regions() -> list[Region]:
    """Every region and city, by English name (a few dozen; cached)."""
    return caching.reference(("regions",), lambda: list(Region.objects.order_by("name_en")))


def _institution(code: str) -> Institution | None:
    """The institution (not the ministry) with `code`, its region with it (cached). A code
    that is no slug of at most 60 characters (Institution.code) is nobody's."""
    if not re.fullmatch(r"[-\w]{1,60}", code):
        return None
    return caching.reference(
        ("institution", code),
        lambda: (
            Institution.objects.exclude(kind=Institution.Kind.MINISTRY)
            .select_related("region")
            .filter(code=code)
            .first()
        ),
    )


def default_framework() -> CompetenceFramework | None:
    frameworks = _frameworks()
    digcomp = [f for f in frameworks if f.kind == CompetenceFramework.Kind.DIGCOMP]
    return (digcomp or frameworks or [None])[0]


@dataclass(frozen=True)
class ReportFilters:
    """What a report describes, as validated by `parse_filters`."""

    period: date  # first day of the month the report describes (figures as of its end)
    framework: CompetenceFramework  # whose competences and levels
    region: Region | None = None  # None: the country (or the institution's region)
    track: str = ""  # "": every track
    kind: str = ""  # institution kind; "": every kind
    institution: Institution | None = None  # set: the institution is the scope

    @property
    def scope(self) -> str:
        if self.institution is not None:
            return "institution"
        return "region" if self.region is not None else "country"

    @property
    def academic_year(self) -> str:
        return academic_year_of(self.period)

    def as_dict(self) -> dict:
        return {
            "period": f"{self.period:%Y-%m}",
            "framework": self.framework.slug,
            "region": self.region.code if self.region else None,
            "track": self.track or None,
            "kind": self.kind or None,
            "institution": self.institution.code if self.institution else None,
        }

    def query(self, **changes) -> dict:
        """Query parameters for a link to this report with some filters changed."""
        values = {**self.as_dict(), **changes}
        return {key: value for key, value in values.items() if value}


def _one(params: Mapping, key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return (value or "").strip()


def parse_filters(params: Mapping, *, user: User | None) -> ReportFilters:
    """Validate report filters. `user` None: the scheduler (no scope restriction)."""
    unknown = sorted(set(params) - set(FILTER_KEYS) - set(IGNORED_KEYS))
    if unknown:
        raise FilterError(
            _("Unknown filter “%(name)s”. Known filters: %(known)s.")
            % {"name": unknown[0][:40], "known": ", ".join(FILTER_KEYS)}
        )
    this_month = _first_of_month(timezone.localdate())
    raw = _one(params, "period")
    if raw:
        match = re.fullmatch(r"(\d{4})-(\d{2})", raw)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise FilterError(_("The period must be a month written YYYY-MM, for example 2026-03."))
        period = date(int(match.group(1)), int(match.group(2)), 1)
        if period > this_month:
            raise FilterError(
                _("The period %(period)s is in the future; the latest is %(latest)s.")
                % {"period": raw, "latest": f"{this_month:%Y-%m}"}
            )
    else:
        period = this_month

    slug = _one(params, "framework")
    framework = (
        next((f for f in _frameworks() if f.slug == slug), None) if slug else default_framework()
    )
    if framework is None:
        raise FilterError(
            _("There is no competence framework “%(slug)s”.") % {"slug": slug[:60]}
            if slug
            else _("No competence framework is set up yet.")
        )

    track = _one(params, "track")
    if track and track not in Track.values:
        raise FilterError(
            _("Unknown track “%(value)s”. Tracks: %(known)s.")
            % {"value": track[:40], "known": ", ".join(Track.values)}
        )
    kinds = [k for k in Institution.Kind.values if k != Institution.Kind.MINISTRY]
    kind = _one(params, "kind")
    if kind and kind not in kinds:
        raise FilterError(
            _("Unknown institution kind “%(value)s”. Kinds: %(known)s.")
            % {"value": kind[:40], "known": ", ".join(kinds)}
        )
    region = None
    code = _one(params, "region")
    if code:
        region = next((r for r in _regions() if r.code == code), None)
        if region is None:
            raise FilterError(_("There is no region “%(code)s”.") % {"code": code[:60]})

    institution = None
    code = _one(params, "institution")
    roles = access.roles_of(user) if user is not None else None
    if code:
        institution = _institution(code)
        if institution is None:
            raise FilterError(_("There is no institution “%(code)s”.") % {"code": code[:60]})
    if roles is not None and not roles.ministry_analyst:
        # an institution admin sees their own institution(s), nothing wider
        own = access.administered_institutions(user).select_related("region")
        if institution is None:
            institution = own.order_by("name_en").first()
        elif not own.filter(pk=institution.pk).exists():
            raise FilterError(_("You can only see reports of the institutions you administer."))
        if institution is None:
            raise FilterError(_("You do not administer any institution."))
    if institution is not None:
        region = None  # the institution is the scope
    return ReportFilters(
        period=period,
        framework=framework,
        region=region,
        track=track,
        kind=kind,
        institution=institution,
    )


def filter_choices() -> dict:
    """What the dashboard's filter form offers (small reference tables)."""
    return {
        "regions": [r for r in _regions() if r.parent_id is None],
        "frameworks": _frameworks(),
        "tracks": Track.choices,
        "kinds": [c for c in Institution.Kind.choices if c[0] != Institution.Kind.MINISTRY],
    }
