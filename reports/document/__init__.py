"""The report document: one protected, JSON-ready dict (schema report-v1,
reports/schema/report-v1.json) that every page, API answer, file and delivery is drawn
from, so none can show more than another.

One builder per scope gathers the figures (country.py, region.py, institution.py: a
handful of aggregate queries over the roll-up tables, never a student); tables.py turns
them into the document's tables and applies disclosure control (reports/privacy.py: the
k threshold and the cell-key method).
Interfaces do not call `report_document` themselves: they read a report through
reports.reading.report_read, which checks access and writes the audit log too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from ..filters import ReportFilters
from ..privacy import MAX_NOISE, NOISE_VARIANCE
from .bands import Bands
from .country import country_figures
from .institution import institution_figures
from .region import region_figures
from .tables import protected_tables

SCHEMA = "report-v1"
SCHEMA_VERSION = "1"
BUILDERS = {
    "country": country_figures,
    "region": region_figures,
    "institution": institution_figures,
}


def report_document(
    filters: ReportFilters,
    *,
    progress: Callable[[int], None] | None = None,
    place_rows: slice | None = None,
) -> dict:
    """The report for `filters`, protected, as a JSON-ready dict (schema report-v1).
    `progress` hears the percentage done (a background build shows it).

    `place_rows`: a page's build, which shows only those rows of the place breakdown (a
    region lists thousands of institutions). A region's report then holds just those rows
    of it, and `place_rows` ({"breakdown", "rows", "first"}: the breakdown's name, how
    many rows it has in full, the index of the first one held); every row, total and
    other table is the same as in the whole report (rows are protected one by one). Not
    for files, the API or deliveries, which hold every row. Other scopes build every row
    (and hold no `place_rows`)."""
    k = settings.REPORTS_MIN_GROUP_SIZE
    step = progress or (lambda percent: None)
    bands = Bands.of(filters.framework)
    if place_rows is not None and filters.scope == "region":
        scope = region_figures(filters, rows=place_rows)
    else:
        scope = BUILDERS[filters.scope](filters)
    step(75)
    tables = protected_tables(filters, scope, bands, k)
    step(100)
    document = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "period": f"{filters.period:%Y-%m}",
        "academic_year": filters.academic_year,
        "scope": filters.scope,
        "filters": filters.as_dict(),
        "framework": {"slug": filters.framework.slug, "name": filters.framework.name},
        "min_group_size": k,
        "perturbation": {
            "method": "cell-key",
            "max_noise": MAX_NOISE,
            "noise_variance": NOISE_VARIANCE,
        },
        "bands": [{"key": b, "label": str(bands.labels[b])} for b in bands.keys],
        "total": tables.total,
        "breakdowns": tables.breakdowns,
        "competences": tables.competences,
        "trend": tables.trend,
    }
    if scope.place_rows is not None:
        document["place_rows"] = {
            "breakdown": scope.place,
            "rows": scope.place_rows,
            "first": scope.place_first,
        }
    return document
