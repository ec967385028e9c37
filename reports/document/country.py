"""The country's report: figures by top-level region (a city is summed into its region),
institution kind and track, read from the cube's sums (a few thousand rows)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from people.models import Institution, Region

from ..filters import ReportFilters
from ..models import CountryCompetenceChange, RegionLevelChange, RegionMonthlyActivity
from .figures import CohortSums, LevelSum, Place, ScopeFigures, Unit, gather
from .queries import (
    active_per_month,
    as_of,
    competence_sums,
    level_sums,
    narrowed,
    region_cohort_sums,
    trend_start,
)


def country_figures(filters: ReportFilters) -> ScopeFigures:
    """Units: (top-level region, institution kind, track)."""
    regions = {r.pk: r for r in Region.objects.all()}

    def unit_of(row: CohortSums | LevelSum) -> Unit:
        region_id, kind, track = row.group  # a region or a city: summed into its region
        return Unit(regions[region_id].parent_id or region_id, kind, track)

    cohorts = region_cohort_sums(filters)
    levels = narrowed(
        filters,
        RegionLevelChange.objects.filter(**as_of(filters)).exclude(kind=Institution.Kind.MINISTRY),
    )
    per_region, per_month = level_sums(levels, [("region", "kind", "track"), ("month",)])
    per_competence = competence_sums(
        narrowed(
            filters,
            CountryCompetenceChange.objects.filter(**as_of(filters)).exclude(
                kind=Institution.Kind.MINISTRY
            ),
        )
    )
    activity = narrowed(
        filters,
        RegionMonthlyActivity.objects.filter(
            academic_year=filters.academic_year,
            month__gte=trend_start(filters),
            month__lte=filters.period,
        ).exclude(kind=Institution.Kind.MINISTRY),
    )
    units = gather(
        [(unit_of(row), row) for row in cohorts], [(unit_of(row), row) for row in per_region]
    )
    places = sorted(
        (Place(r.pk, r.code, r.name) for r in regions.values() if r.parent_id is None),
        key=lambda place: place.label,
    )
    return ScopeFigures(
        label=_("Country"),
        place="region",
        places=places,
        by_kind=True,
        units=units,
        competence_levels=per_competence,
        month_levels=per_month,
        month_active=active_per_month(activity),
    )
