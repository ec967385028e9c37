"""Pages of the reports app: the dashboard and background file builds. Thin: read the
report through reports.reading (which checks access and logs), or call a build service,
then render."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cms.exports import download
from people import access
from people.models import Region

from . import charts, exports
from .builds import report_build_file, report_build_request
from .filters import FILTER_KEYS, FilterError, ReportFilters, filter_choices
from .models import ReportBuild, ReportFormat
from .reading import Channel, can_view_reports, report_read_rendered

# Rows of a place breakdown (regions, institutions, cohorts) a page shows: a region lists
# thousands of institutions at national size. The files (CSV, XLSX, ...) hold every row.
BREAKDOWN_PAGE_ROWS = 50
PAGED_BREAKDOWNS = ("region", "institution", "cohort")
PAGE_DIGITS = 6  # no table has a million pages


def _require_report_role(request: HttpRequest) -> None:
    if not can_view_reports(request.user):
        raise PermissionDenied(_("Reports are open to ministry analysts and institution admins."))


def _breadcrumbs(filters: ReportFilters, analyst: bool) -> list[tuple[str, str | None]]:
    base = {"period": f"{filters.period:%Y-%m}", "framework": filters.framework.slug}
    crumbs: list[tuple[str, str | None]] = []
    if analyst:
        crumbs.append((_("Country"), "?" + urlencode(base)))
    region = filters.region
    if filters.institution is not None:
        region = filters.institution.region
        if region.parent_id:
            region = Region.objects.get(pk=region.parent_id)
        if analyst:
            crumbs.append((region.name, "?" + urlencode({**base, "region": region.code})))
        crumbs.append((filters.institution.name, None))
    elif region is not None:
        crumbs.append((region.name, None))
    return crumbs


def _link_drill_downs(name: str, rows: list[dict], filters: ReportFilters, analyst: bool) -> None:
    if name not in ("region", "institution") or (name == "region" and not analyst):
        return
    query = filters.as_dict()  # once: a region's table links every institution in it
    for row in rows:
        if not row["suppressed"]:
            linked = {**query, name: row["key"]}
            row["link"] = "?" + urlencode({k: v for k, v in linked.items() if v})


def _page_param(params: QueryDict) -> tuple[QueryDict, int]:
    """(the filters without `page`, the page of the place breakdown asked for: 1 by
    default); a page that is no whole number of 1 or more is a FilterError."""
    filters = params.copy()
    raw = (filters.pop("page", None) or [""])[-1].strip()
    if not raw:
        return filters, 1
    if not raw.isdigit() or len(raw) > PAGE_DIGITS or int(raw) < 1:
        raise FilterError(_("The page must be a whole number, 1 or more."))
    return filters, int(raw)


def _page_link(filters: ReportFilters, name: str, number: int) -> str:
    query = filters.query(page=number if number > 1 else None)
    return "?" + urlencode(query) + f"#breakdown-{name}"


def _sections(filters: ReportFilters, report: dict, analyst: bool, page: int) -> list[dict]:
    """The breakdown tables as the page shows them: a place breakdown longer than a page
    shows page `page` of its rows (in the document's order), with links to the pages
    before and after that keep every filter. Rows are protected one by one
    (reports/privacy.py), so a page shows each row exactly as the whole table and the files
    do. A page past the last is a FilterError."""
    sections = []
    held = report.get("place_rows") or {}  # a page's build holds only the page's rows
    for name, rows in report["breakdowns"].items():
        paging = None
        count, first = len(rows), 0
        if held.get("breakdown") == name:
            count, first = held["rows"], held["first"]
        if name in PAGED_BREAKDOWNS and count > BREAKDOWN_PAGE_ROWS:
            pages = -(-count // BREAKDOWN_PAGE_ROWS)
            if page > pages:
                raise FilterError(
                    ngettext(
                        "There is no page %(page)d: the table has %(pages)d page.",
                        "There is no page %(page)d: the table has %(pages)d pages.",
                        pages,
                    )
                    % {"page": page, "pages": pages}
                )
            start = (page - 1) * BREAKDOWN_PAGE_ROWS
            shown = rows[start - first : start - first + BREAKDOWN_PAGE_ROWS]
            paging = {
                "number": page,
                "pages": pages,
                "first_row": start + 1,
                "last_row": start + len(shown),
                "rows": count,
                "previous": _page_link(filters, name, page - 1) if page > 1 else None,
                "next": _page_link(filters, name, page + 1) if page < pages else None,
            }
            rows = shown
        _link_drill_downs(name, rows, filters, analyst)
        title = exports.SECTION_TITLES[name]()
        sections.append({"name": name, "title": title, "rows": rows, "paging": paging})
    return sections


def _report_html(
    filters: ReportFilters, report: dict, *, analyst: bool, page: int = 1
) -> tuple[str, str]:
    """The report's HTML above and below its download forms: the same for every reader of
    the scope of the same kind (analyst or not), so reports.reading caches it (per page of
    the place breakdown)."""
    context = {
        "choices": filter_choices(),
        "analyst": analyst,
        "filters": filters,
        "report": report,
        "breadcrumbs": _breadcrumbs(filters, analyst),
        "chart_competences": charts.competence_bars(report),
        "chart_bands": charts.band_distribution(report),
        "chart_trend": charts.trend_lines(report),
        "sections": _sections(filters, report, analyst, page),
    }
    return (
        render_to_string("reports/_report_top.html", context),
        render_to_string("reports/_report_bottom.html", context),
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_report_role(request)
    analyst = access.roles_of(request.user).ministry_analyst
    try:
        params, page = _page_param(request.GET)
        read = report_read_rendered(
            reader=request.user,
            channel=Channel.PAGE,
            params=params,
            render=partial(_report_html, analyst=analyst, page=page),
            variant=(analyst, page, BREAKDOWN_PAGE_ROWS),
            # a region's report is built for the rows the page shows
            place_rows=slice((page - 1) * BREAKDOWN_PAGE_ROWS, page * BREAKDOWN_PAGE_ROWS),
        )
    except FilterError as exc:
        context = {
            "choices": filter_choices(),
            "analyst": analyst,
            "params": request.GET,
            "error": str(exc),
        }
        return render(request, "reports/dashboard.html", context, status=400)
    top, bottom = read.rendered
    context = {
        "filters": read.filters,
        "formats": [ReportFormat.XLSX, ReportFormat.PDF, ReportFormat.CSV, ReportFormat.JSON],
        "report_top": mark_safe(top),  # noqa: S308 - rendered by the templates, escaped there
        "report_bottom": mark_safe(bottom),  # noqa: S308 - as above
    }
    return render(request, "reports/dashboard.html", context)


@login_required
@require_POST
def build_create(request: HttpRequest) -> HttpResponse:
    _require_report_role(request)
    fmt = request.POST.get("format", "")
    if fmt not in ReportFormat.values:
        return JsonResponse({"detail": _("Unknown file format.")}, status=400)
    params = {k: v for k, v in request.POST.items() if k in FILTER_KEYS and v}
    try:
        build = report_build_request(user=request.user, fmt=fmt, params=params)
    except FilterError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    status_url = reverse("reports:build-status", args=[build.pk])
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"id": build.pk, "status_url": status_url}, status=202)
    return redirect(status_url)


def _own_build(request: HttpRequest, pk: int) -> ReportBuild:
    _require_report_role(request)
    build = (
        ReportBuild.objects.defer("content").filter(pk=pk, requested_by_id=request.user.pk).first()
    )
    if build is None:
        raise Http404
    return build


@login_required
@require_GET
def build_status(request: HttpRequest, pk: int) -> JsonResponse:
    build = _own_build(request, pk)
    return JsonResponse(
        {
            "id": build.pk,
            "status": build.status,
            "progress": build.progress,
            "error": build.error,
            "download_url": reverse("reports:build-download", args=[build.pk])
            if build.status == ReportBuild.Status.DONE
            else None,
        }
    )


@login_required
@require_GET
def build_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file of a finished build, to the person who asked for it only. Its read was
    checked and logged when the file was built (one log row per file)."""
    _require_report_role(request)
    build = report_build_file(user=request.user, build_id=pk)
    if build is None:
        raise Http404
    filters = build.filters
    scope = filters.get("institution") or filters.get("region") or "country"
    name = f"skills-report-{scope}-{filters.get('period', '')}-{filters.get('framework')}"
    return download(
        bytes(build.content),
        filename=f"{name}.{build.format}",
        content_type=exports.CONTENT_TYPES[build.format],
    )
