from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.authtoken import serializers as authtoken_serializers

from . import access, imports
from .models import Cohort, Institution, Membership, Region, User


@extend_schema_field(
    {"type": "string", "maxLength": 254, "anyOf": [{"format": "email"}, {"maxLength": 0}]}
)
class EmailOrBlankField(serializers.EmailField):
    """An e-mail address, or "" for an account without one (the schema says so)."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, max_length=254, **kwargs)


class RegionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["id", "code", "kind", "name", "name_en", "name_az", "name_ru", "parent"]


class InstitutionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Institution
        fields = ["id", "code", "kind", "name", "name_en", "name_az", "name_ru", "region"]


class CohortSerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)
    student_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cohort
        fields = [
            "id",
            "code",
            "name",
            "track",
            "academic_year",
            "level",
            "institution",
            "is_active",
            "student_count",
        ]


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    email = EmailOrBlankField(source="user.email")

    class Meta:
        model = Membership
        fields = ["id", "role", "username", "first_name", "last_name", "email", "created_at"]


class MembershipSerializer(serializers.ModelSerializer):
    # one of the two: a role in a cohort, or at an institution
    cohort = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = ["role", "cohort", "institution"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)
    roles = serializers.SerializerMethodField()
    preferred_language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], allow_blank=True, required=False
    )
    email = EmailOrBlankField(
        required=False,
        help_text=_(
            "A new address is not set here: a link is sent to it (202), and the address "
            "changes when its owner opens the link, signed in."
        ),
    )
    # Names are the institution's (its imports and admins), not the user's to change.
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "preferred_language",
            "roles",
            "memberships",
        ]
        read_only_fields = ["id", "username", "roles", "memberships"]

    def get_roles(self, user) -> list[str]:
        return sorted({m.role for m in user.memberships.all()})

    def validate(self, attrs):
        sent = self.initial_data if hasattr(self.initial_data, "get") else {}
        for name in ("first_name", "last_name"):
            if name in sent and sent.get(name) != getattr(self.instance, name):
                raise serializers.ValidationError(
                    {name: _("Your institution keeps your name; ask its admin to correct it.")}
                )
        if attrs.get("email") == "" and self.instance.email:
            raise serializers.ValidationError(
                {"email": _("Your e-mail address can be changed, not removed.")}
            )
        return attrs


class EmailChangeRequestedSerializer(serializers.Serializer):
    """The answer to a new e-mail address: a link was sent to it, nothing changed yet."""

    detail = serializers.CharField()
    email = EmailOrBlankField(help_text=_("The account's address, unchanged for now."))
    pending_email = serializers.EmailField(help_text=_("Where the confirmation link was sent."))


class StudentImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("CSV, UTF-8, columns: username, first_name, last_name[, email]")
    )

    def validate_file(self, upload):
        problem = imports.file_size_problem(upload.size)
        if problem:
            raise serializers.ValidationError(problem, code="too_large")
        return upload


class AuthTokenSerializer(authtoken_serializers.AuthTokenSerializer):
    """DRF's username and password, with the platform's password rule: no token for a
    person whose institutions have all turned local passwords off (single sign-on only)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not access.local_password_allowed(attrs["user"]):
            raise serializers.ValidationError(
                _(
                    "Your institution does not use passwords on this platform. Sign in on the "
                    "website with your institution's account instead."
                ),
                code="authorization",
            )
        return attrs
