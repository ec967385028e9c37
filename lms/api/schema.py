"""The published schema (drf-spectacular) describes the platform's API as it answers.

`AutoSchema` adds what spectacular cannot see in a view: the errors every operation can
answer (with the one error body of `lms.api.errors`) and the range of integer ids the
router accepts. tests/api/test_schema_conformance.py holds the API to it.
"""

from __future__ import annotations

from drf_spectacular import openapi
from rest_framework.permissions import SAFE_METHODS, AllowAny

from .errors import ErrorSerializer

# An integer id in a URL: what a database id column can hold (the router matches nothing
# else, so `/cohorts/null/` or a 30-digit id is a 404 before any query).
ID_REGEX = "[0-9]{1,18}"
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}


def platform_endpoints_only(endpoints, **kwargs):
    """Keep /api/... endpoints; Wagtail's admin API (/admin/api/...) is internal to the
    page editor, and describing it fails and fails `check --deploy` with it."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and self._is_integer_id(parameter["schema"]):
                parameter["schema"] = dict(ID_SCHEMA)
            if parameter["in"] == "query":
                # every filter, search, ordering and paging parameter of the API reads
                # `?name=` as not given
                parameter["allowEmptyValue"] = True
        error = {
            "content": {
                "application/json": {
                    "schema": self.resolve_serializer(ErrorSerializer, "response").ref
                }
            }
        }
        responses = operation["responses"]
        for code, description in self._error_responses(operation).items():
            # keep a description the view gave; the body is always the error body
            responses[code] = {"description": description, **responses.get(code, {}), **error}
        return operation

    @staticmethod
    def _is_integer_id(schema: dict) -> bool:
        return schema.get("type") == "integer" or schema.get("pattern") == f"^{ID_REGEX}$"

    def _error_responses(self, operation: dict) -> dict[str, str]:
        parameters = operation.get("parameters", [])
        errors = {
            "401": "No credentials where they are needed, or an invalid token.",
        }
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            errors["400"] = "Invalid input: `errors` says which and why."
        if "requestBody" in operation:
            # a body whose Content-Type no parser reads (e.g. a multipart body that declares
            # no boundary it uses): DRF answers before the view
            errors["415"] = "The body is in a media type this operation does not read."
        public = all(
            issubclass(permission, AllowAny)
            for permission in getattr(self.view, "permission_classes", [])
        )
        if not public or self.method not in SAFE_METHODS:
            errors["403"] = "Not allowed for this user (or a session request without CSRF token)."
        if any(p["in"] == "path" for p in parameters) or self._is_paginated():
            errors["404"] = "No such object for this user, or no such page."
        if self.view.get_throttles():
            errors["429"] = "Too many requests: wait for the seconds of Retry-After."
        return dict(sorted(errors.items()))

    def _is_paginated(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None
