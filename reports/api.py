"""The ministry's API: the same protected aggregates as the dashboard, as JSON.

GET /api/v1/reports/?period=2026-10&framework=digcomp-2-2&region=baku
Token authentication (POST /api/v1/auth/token/); ministry analysts see every scope,
institution admins their own institution. Bad filters answer 400 with the reason.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response

from lms.api.errors import error_response

from .filters import FilterError
from .reading import Channel, can_view_reports, report_read


class CanViewReports(permissions.BasePermission):
    message = _("Reports are open to ministry analysts and institution admins.")

    def has_permission(self, request, view) -> bool:
        return can_view_reports(request.user)


FILTER_PARAMETERS = [
    OpenApiParameter(
        "period",
        str,
        description="Month YYYY-MM (figures as of its end); "
        "default: the current month. A future month answers 400.",
    ),
    OpenApiParameter("framework", str, description="Framework slug; default: DigComp."),
    OpenApiParameter("region", str, description="Region code: drill down to a region."),
    OpenApiParameter("institution", str, description="Institution code: drill down to one."),
    OpenApiParameter("track", str, enum=["school", "university", "scholarship"]),
    OpenApiParameter(
        "kind", str, enum=["school", "university", "scholarship"], description="Institution kind."
    ),
]


class ReportViewSet(viewsets.ViewSet):
    """Aggregated skills report (schema report-v1, reports/schema/report-v1.json).

    Groups with fewer students than the minimum group size are suppressed (null); every
    other count is perturbed by the cell-key method (`perturbation`: at most `max_noise`,
    the same for the same students in every answer); no student appears in any answer."""

    permission_classes = [permissions.IsAuthenticated, CanViewReports]
    throttle_scope = "reports"  # README "Security": API throttles

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The report (report-v1)."),
            400: OpenApiResponse(description="An unknown or invalid filter; `detail` says why."),
            403: OpenApiResponse(description="Not a ministry analyst or institution admin."),
        },
    )
    def list(self, request):
        try:
            read = report_read(
                reader=request.user, channel=Channel.API, params=request.query_params
            )
        except FilterError as exc:
            return error_response(status.HTTP_400_BAD_REQUEST, "invalid_filter", str(exc))
        return Response(read.document)
