"""Django admin for platform staff."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Cohort, Institution, LoginCode, Membership, Region, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["cohort", "institution"]
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Platform"), {"fields": ("preferred_language",)}),
    )
    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_az", "name_ru", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name_en", "name_az", "name_ru"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "kind", "region", "is_active"]
    list_filter = ["kind", "region", "is_active"]
    search_fields = ["code", "name_en", "name_az", "name_ru"]
    list_select_related = ["region"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "institution", "track", "academic_year", "is_active"]
    list_filter = ["track", "academic_year", "is_active"]
    search_fields = ["code", "name", "institution__name_en"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "cohort", "institution", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "cohort__code", "institution__code"]
    autocomplete_fields = ["user", "cohort", "institution"]
    list_select_related = ["user", "cohort", "institution"]


@admin.register(LoginCode)
class LoginCodeAdmin(admin.ModelAdmin):
    """Who printed or sent which one-time code, and when it was used: a record for staff.
    Codes are made only by the cohort pages (people/logincodes.py), never here."""

    list_display = ["user", "channel", "created_at", "created_by", "expires_at", "used_at"]
    list_filter = ["channel"]
    search_fields = ["user__username"]
    list_select_related = ["user", "created_by"]
    exclude = ["code_hash"]
    readonly_fields = [
        "user",
        "channel",
        "created_by",
        "expires_at",
        "used_at",
        "revoked_at",
        "failed_attempts",
    ]

    def has_add_permission(self, request) -> bool:
        return False
