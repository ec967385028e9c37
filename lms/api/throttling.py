"""DRF's throttles, reading their rates when a request comes rather than at import.

DRF binds `SimpleRateThrottle.THROTTLE_RATES` once, when rest_framework.throttling is
imported, so rates changed later (a deployment's settings module loaded after it, a test's
override_settings) would never be seen. These read REST_FRAMEWORK's current
DEFAULT_THROTTLE_RATES. A rate of None switches a scope off; an endpoint names its scope
with `throttle_scope` ("auth", "submissions", "imports", "reports").

An over-limit request answers 429 with Retry-After and the API's error body
(lms.api.errors).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class LiveRatesMixin:
    scope: str | None

    def get_rate(self):
        if not getattr(self, "scope", None):
            raise ImproperlyConfigured(f"{type(self).__name__} has no scope.")
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r}.") from exc


class AnonThrottle(LiveRatesMixin, AnonRateThrottle):
    """Anonymous clients, by address."""


class UserThrottle(LiveRatesMixin, UserRateThrottle):
    """Signed-in users, by account."""


class ScopedThrottle(LiveRatesMixin, ScopedRateThrottle):
    """An endpoint's own budget (its `throttle_scope`), by account or else by address."""
