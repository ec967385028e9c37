"""LTI in the Django admin (/django-admin/): registrations with their latest launches and
grade passbacks, the tool's URLs to give an LMS, and "retry now" for scores."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import dynamic, passbacks, queue
from .models import Context, GradePassback, Launch, LtiUser, Registration, ResourceLink, ToolKey
from .tool import tool_url

LATEST = 20  # launches and passbacks shown on a registration's page


def _table(headers, rows) -> str:
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "status", "source", "issuer", "client_id", "updated_at"]
    list_filter = ["status", "source"]
    search_fields = ["name", "issuer", "client_id"]
    autocomplete_fields = ["institution"]
    actions = ["make_invitation"]
    readonly_fields = [
        "source",
        "platform_name",
        "tool_urls",
        "latest_launches",
        "latest_passbacks",
    ]
    fieldsets = [
        (None, {"fields": ["name", "institution", "status", "source", "platform_name"]}),
        (
            _("The LMS (manual registration: copy from the LMS's tool details)"),
            {
                "fields": [
                    "issuer",
                    "client_id",
                    "deployment_ids",
                    "accept_new_deployments",
                    "auth_login_url",
                    "auth_token_url",
                    "auth_audience",
                    "keyset_url",
                    "frame_origins",
                ]
            },
        ),
        (_("The tool (give these to the LMS)"), {"fields": ["tool_urls"]}),
        (_("Activity"), {"fields": ["latest_launches", "latest_passbacks"]}),
    ]

    @admin.display(description=_("Tool URLs"))
    def tool_urls(self, obj):
        return _table(
            [_("What"), _("URL")],
            [
                (_("Login initiation URL"), tool_url("lti:login")),
                (_("Tool URL / redirection URI / target link URI"), tool_url("lti:launch")),
                (_("Deep linking URL"), tool_url("lti:launch")),
                (_("Public keyset URL"), tool_url("lti:jwks")),
                (_("Dynamic registration"), _("use the action “New dynamic registration link”")),
            ],
        )

    @admin.display(description=_("Latest launches"))
    def latest_launches(self, obj):
        if obj.pk is None:
            return "-"
        rows = obj.launches.select_related("user", "link")[:LATEST]
        return _table(
            [_("Time"), _("Status"), _("Message"), _("User"), _("LMS link"), _("Error")],
            [
                (
                    f"{row.at:%Y-%m-%d %H:%M:%S}",
                    row.get_status_display(),
                    row.message_type,
                    row.user or "-",
                    row.link or "-",
                    row.error or "-",
                )
                for row in rows
            ],
        )

    @admin.display(description=_("Latest grade passbacks"))
    def latest_passbacks(self, obj):
        if obj.pk is None:
            return "-"
        rows = obj.passbacks.select_related("user", "exercise")[:LATEST]
        return _table(
            [
                _("Updated"),
                _("Student"),
                _("Exercise"),
                _("Score"),
                _("Status"),
                _("Attempts"),
                _("Next attempt"),
                _("Last error"),
            ],
            [
                (
                    f"{row.updated_at:%Y-%m-%d %H:%M:%S}",
                    row.user,
                    row.exercise,
                    "-"
                    if row.score_given is None
                    else f"{row.score_given:g}/{row.score_maximum:g}",
                    row.get_status_display(),
                    row.attempts,
                    f"{row.next_attempt_at:%Y-%m-%d %H:%M:%S}" if row.next_attempt_at else "-",
                    row.last_error or "-",
                )
                for row in rows
            ],
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not obj.client_id:
            # nothing about the LMS yet: it will register itself
            self._invite(request, obj)

    def _invite(self, request, obj):
        url = dynamic.invite_url(dynamic.registration_invite(registration=obj))
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code>",
                _("Dynamic registration URL for the LMS administrator (shown once, works once):"),
                url,
            ),
            messages.SUCCESS,
        )

    @admin.action(description=_("New dynamic registration link"))
    def make_invitation(self, request, queryset):
        for obj in queryset:
            if obj.client_id:
                self.message_user(
                    request, _("%(name)s is already registered.") % {"name": obj}, messages.WARNING
                )
                continue
            self._invite(request, obj)


@admin.register(Launch)
class LaunchAdmin(admin.ModelAdmin):
    list_display = ["at", "registration", "status", "message_type", "user", "link", "error"]
    list_filter = ["status", "registration"]
    search_fields = ["issuer", "error"]
    list_select_related = ["registration", "user", "link"]
    readonly_fields = [f.name for f in Launch._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(GradePassback)
class GradePassbackAdmin(admin.ModelAdmin):
    list_display = [
        "updated_at",
        "registration",
        "user",
        "exercise",
        "score_given",
        "score_maximum",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "registration"]
    list_select_related = ["registration", "user", "exercise"]
    readonly_fields = [f.name for f in GradePassback._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Retry now"))
    def retry_now(self, request, queryset):
        count = passbacks.passbacks_retry_now(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d score queued.", "%(count)d scores queued.", count)
            % {"count": count},
        )


@admin.register(Context)
class ContextAdmin(admin.ModelAdmin):
    list_display = ["title", "registration", "context_id", "cohort", "roster_synced_at"]
    list_filter = ["registration"]
    list_select_related = ["registration", "cohort"]
    readonly_fields = [
        "registration",
        "context_id",
        "cohort",
        "memberships_url",
        "roster_synced_at",
    ]
    actions = ["sync_roster"]

    @admin.action(description=_("Sync the roster from the LMS"))
    def sync_roster(self, request, queryset):
        contexts = list(queryset.exclude(memberships_url=""))
        for context in contexts:
            queue.enqueue(queue.ROSTER_SYNC, context.pk)
        self.message_user(
            request,
            ngettext("%(count)d roster queued.", "%(count)d rosters queued.", len(contexts))
            % {"count": len(contexts)},
        )


@admin.register(ResourceLink)
class ResourceLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "registration", "kind", "exercise", "course", "line_item_url"]
    list_filter = ["registration", "kind"]
    list_select_related = ["registration", "exercise", "course"]
    raw_id_fields = ["exercise", "course", "context"]


@admin.register(LtiUser)
class LtiUserAdmin(admin.ModelAdmin):
    list_display = ["sub", "issuer", "user", "created_at"]
    search_fields = ["sub", "issuer", "user__username"]
    raw_id_fields = ["user", "registration"]


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "signing", "created_at"]
    exclude = ["private_key_pem"]
    readonly_fields = ["kid", "public_jwk", "signing", "created_at"]

    def has_add_permission(self, request):
        return False
