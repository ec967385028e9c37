from django.contrib import admin

from .models import CompetenceEvidence


@admin.register(CompetenceEvidence)
class CompetenceEvidenceAdmin(admin.ModelAdmin):
    """Read-only: evidence is written by quiz answers and grading, never by hand."""

    list_display = ["student", "competence", "level", "score", "source_key", "recorded_at"]
    list_filter = ["source"]
    search_fields = ["student__username", "source_key"]
    list_select_related = ["student", "competence"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
