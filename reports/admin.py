from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .delivery import delivery_resend
from .models import (
    DeliveryAttempt,
    MinistryEndpoint,
    ReportAccessLog,
    ReportBuild,
    ReportDelivery,
    ReportSchedule,
)


@admin.register(MinistryEndpoint)
class MinistryEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "is_active"]
    list_filter = ["is_active"]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "framework", "region", "track", "is_active"]
    list_filter = ["is_active", "framework"]
    filter_horizontal = ["endpoints"]


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["attempted_at", "ok", "http_status", "error", "duration_ms"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.action(description=_("Resend the selected reports (same idempotency key)"))
def resend(modeladmin, request, queryset):
    for delivery in queryset:
        delivery_resend(delivery_id=delivery.pk)
    modeladmin.message_user(
        request,
        ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", queryset.count())
        % {"n": queryset.count()},
        messages.SUCCESS,
    )


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "schedule",
        "endpoint",
        "period",
        "status",
        "attempts",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", "endpoint", "schedule"]
    readonly_fields = [
        "schedule",
        "endpoint",
        "period",
        "idempotency_key",
        "status",
        "attempts",
        "delivered_at",
        "created_at",
    ]
    exclude = ["payload"]
    inlines = [DeliveryAttemptInline]
    actions = [resend]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReportAccessLog)
class ReportAccessLogAdmin(admin.ModelAdmin):
    list_display = ["accessed_at", "user", "channel", "what"]
    list_filter = ["channel"]
    readonly_fields = ["accessed_at", "user", "channel", "what", "filters"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReportBuild)
class ReportBuildAdmin(admin.ModelAdmin):
    list_display = ["created_at", "requested_by", "format", "status", "progress"]
    list_filter = ["status", "format"]
    exclude = ["content"]
    readonly_fields = [
        "requested_by",
        "format",
        "filters",
        "status",
        "progress",
        "error",
        "created_at",
        "finished_at",
    ]
