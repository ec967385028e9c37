from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import imports
from .models import Cohort, Institution, Membership, Region, User


class RegionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

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
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = Membership
        fields = ["id", "role", "username", "first_name", "last_name", "email", "created_at"]


class MembershipSerializer(serializers.ModelSerializer):
    cohort = serializers.SlugRelatedField(slug_field="code", read_only=True)
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Membership
        fields = ["role", "cohort", "institution"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)
    roles = serializers.SerializerMethodField()
    preferred_language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], allow_blank=True, required=False
    )

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


class StudentImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("CSV, UTF-8, columns: username, first_name, last_name[, email]")
    )

    def validate_file(self, upload):
        problem = imports.file_size_problem(upload.size)
        if problem:
            raise serializers.ValidationError(problem, code="too_large")
        return upload
