"""Thin API views: check access, call a selector or service, serialize."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from lms.api.errors import error_response

from . import access
from .imports import student_import
from .models import Membership, Region, Role, User
from .serializers import (
    CohortSerializer,
    InstitutionSerializer,
    MemberSerializer,
    MeSerializer,
    RegionSerializer,
    StudentImportSerializer,
)


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user, their roles and memberships."""

    serializer_class = MeSerializer

    def get_object(self):
        # Not type(request.user): under session auth that is Django's lazy wrapper.
        return User.objects.prefetch_related("memberships__cohort", "memberships__institution").get(
            pk=self.request.user.pk
        )


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The country's economic regions and cities (public)."""

    permission_classes = [permissions.AllowAny]
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    filterset_fields = ["kind"]
    search_fields = ["code", "name_en", "name_az", "name_ru"]
    lookup_field = "code"


class InstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    """Institutions the user belongs to (all of them for a ministry analyst)."""

    serializer_class = InstitutionSerializer
    filterset_fields = ["kind", "region__code"]
    search_fields = ["code", "name_en", "name_az", "name_ru"]
    ordering_fields = ["name_en", "code"]

    def get_queryset(self):
        return access.visible_institutions(self.request.user).select_related("region")


class CohortViewSet(viewsets.ReadOnlyModelViewSet):
    """Cohorts the user teaches or administers. Analysts use /api/v1/reports/ instead."""

    serializer_class = CohortSerializer
    filterset_fields = ["track", "academic_year", "institution__code", "is_active"]
    search_fields = ["code", "name"]
    ordering_fields = ["name", "academic_year", "code"]

    def get_queryset(self):
        return (
            access.managed_cohorts(self.request.user)
            .select_related("institution")
            .annotate(student_count=Count("memberships", filter=Q(memberships__role=Role.STUDENT)))
            .order_by("institution__name_en", "academic_year", "name")
        )

    @extend_schema(responses=MemberSerializer(many=True))
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        """Students and teachers of the cohort."""
        cohort = self.get_object()
        members = (
            Membership.objects.filter(cohort=cohort)
            .select_related("user")
            .order_by("role", "user__last_name", "user__first_name")
        )
        page = self.paginate_queryset(members)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(request={"multipart/form-data": StudentImportSerializer}, responses=None)
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_students(self, request, pk=None):
        """Import students from CSV: all rows are checked first; one bad row imports nothing."""
        cohort = self.get_object()
        if not access.can_administer_cohort(request.user, cohort):
            return error_response(
                status.HTTP_403_FORBIDDEN,
                "permission_denied",
                _("Only an admin of the cohort's institution can import students."),
            )
        serializer = StudentImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = student_import(cohort=cohort, data=serializer.validated_data["file"].read())
        if not result.ok:
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                "invalid_csv",
                _("The file was not imported: %(count)d problem(s) found.")
                % {"count": len(result.errors)},
                errors=[{"line": e.line, "message": e.message} for e in result.errors],
            )
        return Response(result.as_dict())
