"""Security headers on every response: Content-Security-Policy and Permissions-Policy.

The platform's pages get the strict policy of settings.CONTENT_SECURITY_POLICY (scripts
and styles from the platform's static files only). Wagtail's admin and Django's admin
write inline scripts and styles, so the paths in CONTENT_SECURITY_POLICY_ADMIN get that
relaxed policy instead, and no other path does. A response that already carries a policy
(a submission's feedback page) keeps its own.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        admin = settings.CONTENT_SECURITY_POLICY_ADMIN
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(tuple(admin["URL_PREFIXES"]))
        ):
            parts.config = admin["DIRECTIVES"]
        return parts


def _permissions_policy() -> str:
    """`camera=(), geolocation=()`: an empty allowlist switches a feature off."""
    return ", ".join(
        f"{feature}=({' '.join(origins)})"
        for feature, origins in settings.PERMISSIONS_POLICY.items()
    )


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = _permissions_policy()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
