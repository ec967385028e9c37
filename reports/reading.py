"""The one way to read a report: check access, build the document, log the read.

Every interface reads through `report_read`: the dashboard page, the API, a file built
in the background, the monthly delivery. None of them builds a document or writes the
audit log itself, so none can forget the log, and a refused read shows and logs nothing.
In the spirit of Wagtail's actions (check -> act -> log).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from people import access
from people.models import User

from . import caching
from .document import report_document
from .filters import ReportFilters, parse_filters
from .models import ReportAccessLog

Channel = ReportAccessLog.Channel


class ReportAccessDenied(PermissionDenied):
    """The reader may not see reports at all (a 403); a scope they may not see is a
    FilterError with the reason (a 400)."""


@dataclass(frozen=True)
class ReportRead:
    """A read that happened: what was asked, what was shown, and its audit row."""

    filters: ReportFilters  # as validated for the reader
    document: dict  # the protected report (schema report-v1)
    log: ReportAccessLog  # the audit row written for this read


def can_view_reports(user: User | None) -> bool:
    """Ministry analysts and institution admins (the latter: their own institutions)."""
    if user is None:
        return False
    roles = access.roles_of(user)
    return roles.ministry_analyst or roles.institution_admin


def report_access(*, reader: User | None, channel: str, params: Mapping) -> ReportFilters:
    """The filters `reader` may read `params` with, or why not: ReportAccessDenied (not a
    report reader), FilterError (a bad filter, or a scope they do not administer). No
    reader (None) is the scheduler, for deliveries only, with no scope restriction."""
    if reader is None:
        if channel != Channel.DELIVERY:
            # a programming error, never a user's: no interface passes reader=None
            raise ReportAccessDenied("Only the scheduler reads a report without a reader.")
        return parse_filters(params, user=None)
    if not can_view_reports(reader):
        raise ReportAccessDenied(_("Reports are open to ministry analysts and institution admins."))
    return parse_filters(params, user=reader)


def report_read(
    *,
    reader: User | None,
    channel: str,
    params: Mapping,
    fmt: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReportRead:
    """Read the report `params` ask for (the filters of the page, the API, a build or a
    schedule) as `reader` through `channel`: check access, build the document, and write
    one ReportAccessLog row, in that order. `fmt`: the file format of a file or a
    delivery (logged as "<scope>/<fmt>"; a page logs "<scope>/page", the API
    "<scope>/api"). Raises ReportAccessDenied or FilterError, logging nothing, when the
    read is refused."""
    filters = report_access(reader=reader, channel=channel, params=params)
    document = report_document(filters, progress=progress)
    log = _log(reader, channel, filters, fmt)
    return ReportRead(filters=filters, document=document, log=log)


@dataclass(frozen=True)
class RenderedRead:
    """A read of a page that shows what it makes of the document (its HTML)."""

    filters: ReportFilters  # as validated for the reader
    rendered: Any  # what the page made of the protected document, maybe from the cache
    log: ReportAccessLog  # the audit row written for this read


def report_read_rendered(
    *,
    reader: User,
    channel: str,
    params: Mapping,
    render: Callable[[ReportFilters, dict], Any],
    variant: tuple = (),
    place_rows: slice | None = None,
) -> RenderedRead:
    """`report_read` for a page: what `render(filters, document)` makes of the report,
    kept in the cache per scope, filters, language and `variant` (what else the rendering
    depends on: the reader's kind) until the roll-ups or names it shows change
    (reports/caching.py). Access is checked first and the read logged, cached or not;
    `render` must not depend on the reader beyond `variant`. `place_rows`: the rows of
    the place breakdown the page shows (report_document builds a region's report for
    them only); `variant` must then tell pages apart."""
    filters = report_access(reader=reader, channel=channel, params=params)
    rendered = caching.rendered(
        filters,
        (channel, *variant),
        lambda: render(filters, report_document(filters, place_rows=place_rows)),
    )
    log = _log(reader, channel, filters, None)
    return RenderedRead(filters=filters, rendered=rendered, log=log)


def _log(reader: User | None, channel: str, filters: ReportFilters, fmt: str | None):
    return ReportAccessLog.objects.create(
        user=reader,
        channel=channel,
        what=f"{filters.scope}/{fmt or channel}"[:60],
        filters=filters.as_dict(),
    )
