"""A region's report: figures by institution (in the region or its cities), institution
kind and track, read from the cube and the institution table."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import get_language

from people.models import Cohort, Institution

from ..filters import ReportFilters
from ..models import InstitutionLevelChange, MasteryCube, RegionMonthlyActivity
from .figures import Place, ScopeFigures, Unit, gather
from .queries import (
    active_per_month,
    as_of,
    cohort_sums,
    level_sums,
    narrowed,
    region_and_cities,
    region_cohort_sums,
    scope_cohorts,
    trend_start,
)


def region_figures(filters: ReportFilters, rows: slice | None = None) -> ScopeFigures:
    """Units: (institution, institution kind, track). `rows`: a page's build, only those
    rows of the institution breakdown (`_region_page`)."""
    if rows is not None:
        return _region_page(filters, rows)
    region = filters.region
    assert region is not None
    cohorts = cohort_sums(
        filters, scope_cohorts(filters), ["institution_id", "institution__kind", "track"]
    )
    cube = narrowed(
        filters,
        MasteryCube.objects.filter(region__in=region_and_cities(region), **as_of(filters)).exclude(
            kind=Institution.Kind.MINISTRY
        ),
    )
    per_competence, per_month = level_sums(cube, [("competence",), ("month",)])
    per_institution = narrowed(
        filters,
        InstitutionLevelChange.objects.filter(
            institution__region__in=region_and_cities(region), **as_of(filters)
        ),
        kind="institution__kind",
    )
    (per_institution,) = level_sums(
        per_institution, [("institution", "institution__kind", "track")]
    )
    activity = narrowed(
        filters,
        RegionMonthlyActivity.objects.filter(
            region__in=region_and_cities(region),
            academic_year=filters.academic_year,
            month__gte=trend_start(filters),
            month__lte=filters.period,
        ).exclude(kind=Institution.Kind.MINISTRY),
    )
    month_active = active_per_month(activity)
    # both grouped by (institution id, institution kind, track): a unit each
    units = gather(
        [(Unit(*row.group), row) for row in cohorts],
        [(Unit(*row.group), row) for row in per_institution],
    )
    present = {unit.place for unit in units}
    places = sorted(
        (
            Place(i.pk, i.code, i.name)
            for i in Institution.objects.filter(pk__in=present).only(
                "pk", "code", "name_en", "name_az", "name_ru"
            )
        ),
        key=lambda place: (place.label, place.key),
    )
    return ScopeFigures(
        label=region.name,
        place="institution",
        places=places,
        by_kind=True,
        units=units,
        competence_levels=per_competence,
        month_levels=per_month,
        month_active=month_active,
    )


def _region_page(filters: ReportFilters, rows: slice) -> ScopeFigures:
    """One page of a region's report: the same figures as `region_figures`, but only the
    institutions of `rows` (in the breakdown's order) are summed one by one; the total,
    kinds and tracks come from the region tables and the cube, which hold the same sums
    (the country's report reads them alike), so no query reads a row per cohort or per
    institution of the whole region."""
    region = filters.region
    assert region is not None
    regions = region_and_cities(region)
    cube = narrowed(
        filters,
        MasteryCube.objects.filter(region__in=regions, **as_of(filters)).exclude(
            kind=Institution.Kind.MINISTRY
        ),
    )
    per_competence, per_month, per_group = level_sums(
        cube, [("competence",), ("month",), ("kind", "track")]
    )
    activity = narrowed(
        filters,
        RegionMonthlyActivity.objects.filter(
            region__in=regions,
            academic_year=filters.academic_year,
            month__gte=trend_start(filters),
            month__lte=filters.period,
        ).exclude(kind=Institution.Kind.MINISTRY),
    )
    # the totals, kinds and tracks: units of no place (0)
    units = gather(
        [(Unit(0, *row.group[1:]), row) for row in region_cohort_sums(filters, regions)],
        [(Unit(0, *row.group), row) for row in per_group],
    )
    # the breakdown's rows: every institution with a cohort in the scope (scope_cohorts),
    # in order; then the figures of the page's institutions only
    in_scope = Cohort.objects.filter(
        institution=OuterRef("pk"), academic_year=filters.academic_year
    )
    institutions = (
        Institution.objects.filter(region__in=regions, kind__in=_kinds(filters))
        .filter(Exists(in_scope.filter(track=filters.track) if filters.track else in_scope))
        .order_by()
        .values_list("pk", "code", "kind", "name_en", "name_az", "name_ru")
    )
    lang = (get_language() or "en")[:2]
    kind_of, places = {}, []
    for pk, code, kind, en, az, ru in institutions:
        kind_of[pk] = kind
        places.append(Place(pk, code, {"en": en, "az": az, "ru": ru}.get(lang) or en))
    places.sort(key=lambda place: (place.label, place.key))
    if len(places) <= (rows.stop or len(places)) - (rows.start or 0):
        rows = slice(0, len(places))  # a breakdown of one page: every row, as before
    shown = places[rows]
    ids = [place.id for place in shown]
    cohorts, per_institution = [], []
    if ids:  # the institutions' kinds are known: no join
        scope = Cohort.objects.filter(
            academic_year=filters.academic_year, institution_id__in=ids
        ).order_by()
        levels = InstitutionLevelChange.objects.filter(institution_id__in=ids, **as_of(filters))
        if filters.track:
            scope, levels = scope.filter(track=filters.track), levels.filter(track=filters.track)
        cohorts = [
            row._replace(group=(row.group[0], kind_of[row.group[0]], row.group[1]))
            for row in cohort_sums(filters, scope, ["institution_id", "track"])
        ]
        (per_institution,) = level_sums(levels, [("institution", "track")])
        per_institution = [
            row._replace(group=(row.group[0], kind_of[row.group[0]], row.group[1]))
            for row in per_institution
        ]
    place_units = gather(
        [(Unit(*row.group), row) for row in cohorts],
        [(Unit(*row.group), row) for row in per_institution],
    )
    return ScopeFigures(
        label=region.name,
        place="institution",
        places=shown,
        by_kind=True,
        units=units,
        competence_levels=per_competence,
        month_levels=per_month,
        month_active=active_per_month(activity),
        place_units=place_units,
        place_rows=len(places),
        place_first=min(rows.start or 0, len(places)),
    )


def _kinds(filters: ReportFilters) -> list[str]:
    """The institution kinds a report counts: all but the ministry, or the one filtered."""
    return [
        kind
        for kind in Institution.Kind.values
        if kind != Institution.Kind.MINISTRY and (not filters.kind or kind == filters.kind)
    ]
