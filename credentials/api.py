"""The credentials API: a student's own credentials, each with its verification page and
the signed credential (a compact JWS) to put in a wallet."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from . import selectors
from .models import Credential


class CredentialSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The credential's id.")
    url = serializers.SerializerMethodField(help_text="The public verification page.")
    jwt = serializers.CharField(
        source="jws",
        help_text="The OpenBadgeCredential signed as a VC-JWT (JOSE compact serialization); "
        "verify it with the keys at /.well-known/jwks.json.",
    )
    course = serializers.IntegerField(source="course_id", help_text="The course's id.")
    course_title = serializers.CharField(source="achievement.name")
    issued_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField(help_text="valid, revoked or tampered.")
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, credential) -> str:
        return selectors.verification_url(credential)

    def get_status(self, credential) -> str:
        if "key_set" not in self.context:  # read once per response, not per credential
            self.context["key_set"] = selectors.jwk_set()
        return selectors.verify_stored(credential, self.context["key_set"]).status


@extend_schema(responses=CredentialSerializer(many=True))
class CredentialViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My credentials, newest first (only the caller's own)."""

    serializer_class = CredentialSerializer
    filter_backends = []
    queryset = Credential.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        return Credential.objects.filter(student=self.request.user).order_by("-issued_at", "pk")
