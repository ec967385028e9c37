import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import StatementOutbox
from .services import outbox_retry_now


@admin.action(description=_("Retry now"), permissions=["change"])
def retry_now(modeladmin, request, queryset):
    count = outbox_retry_now(ids=list(queryset.values_list("pk", flat=True)))
    modeladmin.message_user(
        request,
        ngettext(
            "%(n)d statement will be sent again now.",
            "%(n)d statements will be sent again now.",
            count,
        )
        % {"n": count},
        messages.SUCCESS,
    )


@admin.register(StatementOutbox)
class StatementOutboxAdmin(admin.ModelAdmin):
    """The platform team's view of the outbox: what waits, and what the LRS said. Read-only
    (a statement is as it was recorded); "retry now" makes the chosen ones due at once."""

    list_display = [
        "created_at",
        "verb_name",
        "status",
        "attempts",
        "last_error_short",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "verb", "created_at"]
    search_fields = ["statement_id", "last_error"]
    date_hierarchy = "created_at"
    actions = [retry_now]
    fields = [
        "statement_id",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "statement_json",
    ]
    readonly_fields = fields

    @admin.display(description=_("verb"), ordering="verb")
    def verb_name(self, obj: StatementOutbox) -> str:
        return obj.verb.rsplit("/", 1)[-1]

    @admin.display(description=_("reason"))
    def last_error_short(self, obj: StatementOutbox) -> str:
        return obj.last_error[:200]

    @admin.display(description=_("statement"))
    def statement_json(self, obj: StatementOutbox) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.statement, indent=2, ensure_ascii=False))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an unsent statement deleted is a learning record lost
