"""Public, read-only competence frameworks."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.exceptions import ValidationError

from ..selectors import frameworks_with_structure
from .serializers import CompetenceFrameworkSerializer

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=LANGUAGE_CODES,
    description="Language of the names; otherwise the Accept-Language header decides.",
)


@extend_schema_view(
    list=extend_schema(summary="List competence frameworks", parameters=[LANG_PARAMETER]),
    retrieve=extend_schema(summary="One competence framework", parameters=[LANG_PARAMETER]),
)
class CompetenceFrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """Competence frameworks with their levels, areas and competences (public).

    Names come in one language: `?lang=` if given, else the Accept-Language header.
    """

    permission_classes = [permissions.AllowAny]
    serializer_class = CompetenceFrameworkSerializer
    lookup_field = "slug"
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["kind"]

    def get_queryset(self):
        return frameworks_with_structure()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        lang = request.query_params.get("lang", "")
        if lang and lang not in LANGUAGE_CODES:  # empty: not given
            raise ValidationError(
                {"lang": [_("Choose one of %(codes)s.") % {"codes": ", ".join(LANGUAGE_CODES)}]}
            )

    def dispatch(self, request, *args, **kwargs):
        lang = request.GET.get("lang")
        if lang not in LANGUAGE_CODES:
            return super().dispatch(request, *args, **kwargs)
        with translation.override(lang):
            response = super().dispatch(request, *args, **kwargs)
        response.headers["Content-Language"] = lang
        return response
