"""A region's report: figures by institution (in the region or its cities), institution
kind and track, read from the cube and the institution table."""

from __future__ import annotations

from people.models import Institution

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
    scope_cohorts,
    trend_start,
)


def region_figures(filters: ReportFilters) -> ScopeFigures:
    """Units: (institution, institution kind, track)."""
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
