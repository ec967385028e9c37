"""What the reports dashboard caches, and what retires it.

The dashboard draws the same protected document for everyone who may read a scope (the
country, a region, an institution), so it keeps its rendering per scope, filters,
language and the reader's kind (an analyst's page links drill-downs, an institution
admin's does not), in the shared cache (lms/cache.py). Access is checked before the cache
is read (reports.reading): a reader only ever reaches the entry of a scope they may see.

Keys carry two versions:
- `ALL`: everything at once. Retired by a rebuild or a re-derived cube, and by a change
  of what the reports name or count by: a region, an institution, a cohort, a framework,
  its areas, competences and levels (connected in ReportsConfig.ready);
- the scope's own (`scope_namespace`): retired by `rollups_changed(cohort_ids=...)` when
  the roll-ups of those cohorts moved (a student's evidence batch refreshed, a student
  joining or leaving a cohort, course completions recounted). A cohort's figures are
  shown by its institution's report, by its region's and that region's parent's (a
  region's report sums its cities), and by the country's.
Both are retired at once and again after the writer's transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import get_language

from lms.cache import Namespace
from people.models import Cohort

ALL = Namespace("reports:all")
COUNTRY = "country"
MANY_COHORTS = 500  # more cohorts moved at once than this: every report is retired


def scope_namespace(scope: str) -> Namespace:
    """The cache versions of one scope: "country", "region:<id>" or "institution:<id>"
    (read alone, not with every request's other versions: a country has thousands)."""
    return Namespace(f"reports:scope:{scope}", read_together=False)


def scope_of(filters) -> str:
    if filters.institution is not None:
        return f"institution:{filters.institution.pk}"
    if filters.region is not None:
        return f"region:{filters.region.pk}"
    return COUNTRY


def rendered(filters, variant: tuple, compute: Callable[[], Any]) -> Any:
    """What `compute` makes of the report of `filters` (its page), from the cache while
    none of the roll-ups, names and levels it shows changed. `variant`: what else the
    rendering depends on (the reader's kind)."""
    parts = (
        "page",
        scope_namespace(scope_of(filters)).version(),
        get_language(),
        settings.REPORTS_MIN_GROUP_SIZE,
        *variant,
        *filters.as_dict().values(),
    )
    return ALL.get_or_set(parts, compute)


def reference(parts: tuple, compute: Callable[[], Any]) -> Any:
    """A reference read of the reports' filters (the frameworks, the regions, an
    institution by its code), retired with everything else (`ALL`). Nothing found (None)
    is not kept: a code nobody has is not worth a cache entry."""
    value = ALL.get(("reference", *parts))
    if value is None:
        value = compute()
        if value is not None:
            ALL.set(("reference", *parts), value)
    return value


def everything_changed(**kwargs) -> None:
    """Retire every cached report (a signal receiver, or a direct call)."""
    ALL.invalidate()


def rollups_changed(*, cohort_ids: Iterable[int]) -> None:
    """The roll-ups of `cohort_ids` moved: retire the reports that show them."""
    ids = set(cohort_ids)
    if not ids:
        return
    if len(ids) > MANY_COHORTS:  # a recount that moved much: everything, in one step
        ALL.invalidate()
        return
    scopes = {COUNTRY}
    for institution_id, region_id, parent_id in Cohort.objects.filter(pk__in=ids).values_list(
        "institution_id", "institution__region_id", "institution__region__parent_id"
    ):
        scopes.add(f"institution:{institution_id}")
        scopes.add(f"region:{region_id}")
        if parent_id is not None:
            scopes.add(f"region:{parent_id}")
    for scope in sorted(scopes):
        scope_namespace(scope).invalidate()
