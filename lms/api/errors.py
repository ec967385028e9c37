"""One error body for the whole API.

    {"status": 400, "code": "invalid", "detail": "Some fields are invalid.",
     "errors": {"field": ["message", ...]}}

`detail` is always a human sentence; `errors` appears for validation failures.
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ErrorSerializer(serializers.Serializer):
    """The error body, as the schema describes it (every 4xx of every operation)."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(
        help_text="Why, for programs: invalid, parse_error, not_authenticated, "
        "authentication_failed, permission_denied, not_found, throttled, ..."
    )
    detail = serializers.CharField(help_text="Why, for people: a sentence in their language.")
    errors = serializers.JSONField(
        required=False,
        help_text="What was invalid: {field: [message, ...]}; for a CSV import, "
        "[{line, message}, ...].",
    )


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OverflowError):
        # A number from the request that the database cannot hold (SQLite refuses to bind
        # it; PostgreSQL finds nothing): the client's mistake, whichever filter or field.
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("A number in the request is too large.")]}, code="invalid"
        )
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handler answers (JSON under /api/)
    body = {"status": response.status_code, "code": "error", "detail": ""}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        errors = _flatten(exc.detail)
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        body["errors"] = errors
        first = next(iter(errors.values()), [""]) if errors else [""]
        body["detail"] = _("Some fields are invalid: %(first)s") % {
            "first": first[0] if isinstance(first, list) and first else first
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        body["code"] = codes if isinstance(codes, str) else "error"
        body["detail"] = (
            str(exc.detail)
            if not isinstance(exc.detail, dict | list)
            else (str(_flatten(exc.detail)))
        )
    if type(exc) is exceptions.Throttled:  # DRF's own sentence is half translated in az, ru
        body["detail"] = throttled_detail(exc.wait)
    response.data = body
    return response


def throttled_detail(wait: float | None) -> str:
    """The sentence of a 429 (the wait is also in its Retry-After header)."""
    if wait is None:
        return _("Too many requests. Please wait a little and try again.")
    seconds = max(math.ceil(wait), 1)
    return ngettext(
        "Too many requests. Please try again in %(seconds)d second.",
        "Too many requests. Please try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}


def json_error(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"status": status_code, "code": code, "detail": detail}, status=status_code)


def api_not_found(request, exception=None):
    return json_error(
        status.HTTP_404_NOT_FOUND,
        "not_found",
        _("No API endpoint at %(path)s. The API root is /api/v1/.") % {"path": request.path},
    )


def api_server_error(request):
    return json_error(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "server_error",
        _("Something went wrong on our side. The error was logged; please try again later."),
    )


def error_response(status_code: int, code: str, detail: str, **extra) -> Response:
    return Response(
        {"status": status_code, "code": code, "detail": detail, **extra}, status=status_code
    )
