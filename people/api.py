"""Thin API views: check access, call a selector or service, serialize."""

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from lms.api.errors import error_response

from . import access, ratelimit, services
from .imports import student_import
from .lockout import LOCKED_OUT, cool_off_seconds, locked_out_message
from .models import Membership, Region, Role, User
from .serializers import (
    AuthTokenSerializer,
    CohortSerializer,
    EmailChangeRequestedSerializer,
    InstitutionSerializer,
    MemberSerializer,
    MeSerializer,
    RegionSerializer,
    StudentImportSerializer,
)


class LoginLockedOut(exceptions.Throttled):
    """429 with Retry-After: django-axes refuses this username from this address for now."""

    default_code = LOCKED_OUT


class TokenView(ObtainAuthToken):
    """POST username and password, get the account's API token.

    After a few wrong passwords for one username from one address, that username is
    refused from there for a while, the right password too: 429 with Retry-After and
    the code `locked_out`. Requests per address are also limited (429, `throttled`)."""

    # Like every login, checked by django-axes first (README "Security").
    throttle_scope = "auth"
    # DRF's, refusing a password where the person's institutions turned them off
    serializer_class = AuthTokenSerializer

    def get_throttles(self):
        # DRF's ObtainAuthToken switches throttling off; the platform's defaults apply.
        return [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES]

    def get_serializer_context(self):
        # Django's HttpRequest, not DRF's wrapper: django-axes records the attempt on it
        # (address, lockout flag) and its middleware reads it there.
        return {**super().get_serializer_context(), "request": self.request._request}

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            if getattr(request._request, "axes_locked_out", False):
                seconds = cool_off_seconds(request._request)
                locked = LoginLockedOut(detail=locked_out_message(seconds))
                locked.wait = seconds
                raise locked from None
            raise


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user, their roles and memberships. They may change their preferred
    language; names are their institution's; a new e-mail address is confirmed by a link
    sent to it (202) and changes only when its owner opens that link, signed in."""

    serializer_class = MeSerializer
    # A JSON object only: a form or multipart body that parses to nothing would otherwise
    # be a valid "change nothing" (schemathesis sends one); the configured JSON parser.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES[:1]

    def get_object(self):
        # Not type(request.user): under session auth that is Django's lazy wrapper.
        return User.objects.prefetch_related("memberships__cohort", "memberships__institution").get(
            pk=self.request.user.pk
        )

    @extend_schema(responses={200: MeSerializer, 202: EmailChangeRequestedSerializer})
    def put(self, request, *args, **kwargs):
        return super().put(request, *args, **kwargs)

    @extend_schema(responses={200: MeSerializer, 202: EmailChangeRequestedSerializer})
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = self.get_serializer(
            user, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        new_email = serializer.validated_data.pop("email", None)
        if new_email is None or services.same_address(new_email, user.email):
            serializer.save()
            return Response(serializer.data)
        limit = ratelimit.hit("email-change", str(user.pk), settings.EMAIL_CHANGE_RATE_PER_ACCOUNT)
        if not limit.allowed:
            raise exceptions.Throttled(wait=limit.retry_after)
        serializer.save()
        services.email_change_request(
            user=user, new_email=new_email, site_url=f"{request.scheme}://{request.get_host()}"
        )
        hours = int(services.EMAIL_CHANGE_MAX_AGE.total_seconds() // 3600)
        answer = {
            "detail": ngettext(
                "We sent a link to %(email)s. Your e-mail address changes when you open it, "
                "signed in as yourself, within %(hours)d hour.",
                "We sent a link to %(email)s. Your e-mail address changes when you open it, "
                "signed in as yourself, within %(hours)d hours.",
                hours,
            )
            % {"email": new_email, "hours": hours},
            "email": user.email,
            "pending_email": new_email,
        }
        data = EmailChangeRequestedSerializer(answer).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


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
    throttle_scope = None  # an action names its own ("imports")
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
        throttle_scope="imports",
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
                ngettext(
                    "The file was not imported: %(count)d problem found.",
                    "The file was not imported: %(count)d problems found.",
                    len(result.errors),
                )
                % {"count": len(result.errors)},
                errors=[{"line": e.line, "message": e.message} for e in result.errors],
            )
        return Response(result.as_dict())
