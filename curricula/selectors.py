"""Reads about competence frameworks."""

from django.db.models import Prefetch, QuerySet

from .models import Competence, CompetenceArea, CompetenceFramework, ProficiencyLevel


def frameworks_with_structure() -> QuerySet[CompetenceFramework]:
    """Frameworks with their levels, areas and competences: four queries, however many."""
    return CompetenceFramework.objects.order_by("pk").prefetch_related(
        Prefetch("levels", queryset=ProficiencyLevel.objects.order_by("number")),
        Prefetch(
            "areas",
            queryset=CompetenceArea.objects.order_by("order", "code").prefetch_related(
                Prefetch("competences", queryset=Competence.objects.order_by("order", "code"))
            ),
        ),
    )
