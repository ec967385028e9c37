"""Frameworks as the API shows them: names in the request's language."""

from rest_framework import serializers

from ..models import Competence, CompetenceArea, CompetenceFramework, ProficiencyLevel


class ProficiencyLevelSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    band = serializers.CharField(
        read_only=True, help_text="The group of levels (DigComp), or an empty string."
    )

    class Meta:
        model = ProficiencyLevel
        fields = ["number", "name", "band"]


class CompetenceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Competence
        fields = ["code", "name", "level"]


class CompetenceAreaSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    competences = CompetenceSerializer(many=True, read_only=True)

    class Meta:
        model = CompetenceArea
        fields = ["code", "name", "competences"]


class CompetenceFrameworkSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    levels_description = serializers.CharField(read_only=True)
    levels = ProficiencyLevelSerializer(many=True, read_only=True)
    areas = CompetenceAreaSerializer(many=True, read_only=True)

    class Meta:
        model = CompetenceFramework
        fields = ["slug", "kind", "name", "source", "levels_description", "levels", "areas"]
