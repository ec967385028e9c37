"""drf-spectacular hooks: the published schema describes the platform's API only."""


def platform_endpoints_only(endpoints, **kwargs):
    """Keep /api/... endpoints; Wagtail's admin API (/admin/api/...) is internal to the
    page editor, and describing it fails and fails `check --deploy` with it."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
