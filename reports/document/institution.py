"""An institution's report: figures by cohort and track, read from the cohorts' own rows
(a few dozen cohorts)."""

from __future__ import annotations

from ..filters import ReportFilters
from ..models import CohortMonthlyActivity
from ..rollups.tables import cohort_changes_sql
from .figures import Place, ScopeFigures, Unit, gather
from .queries import active_per_month, cohort_sums, level_sums, scope_cohorts, trend_start


def institution_figures(filters: ReportFilters) -> ScopeFigures:
    """Units: (cohort, the institution's kind, the cohort's track)."""
    institution = filters.institution
    assert institution is not None
    cohorts = scope_cohorts(filters)
    cohort_ids = cohorts.values("pk")
    sums = cohort_sums(filters, cohorts, ["pk", "track", "code", "name"])
    per_cohort, per_competence, per_month = level_sums(
        cohort_changes_sql(cohorts, filters.framework.pk, filters.period),
        [("cohort",), ("competence",), ("month",)],
    )
    activity = CohortMonthlyActivity.objects.filter(
        cohort__in=cohort_ids, month__gte=trend_start(filters), month__lte=filters.period
    )
    unit_of, places = {}, []
    for row in sums:
        pk, track, code, name = row.group
        unit_of[pk] = Unit(pk, institution.kind, track)
        places.append(Place(pk, code, name))
    units = gather(
        [(unit_of[row.group[0]], row) for row in sums],
        [(unit_of[row.group[0]], row) for row in per_cohort],  # grouped by (cohort id,)
    )
    places.sort(key=lambda place: (place.label, place.key))
    return ScopeFigures(
        label=institution.name,
        place="cohort",
        places=places,
        by_kind=False,
        units=units,
        competence_levels=per_competence,
        month_levels=per_month,
        month_active=active_per_month(activity),
    )
