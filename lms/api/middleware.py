"""Refuse API requests carrying a NUL character in their URL, before any view runs.

No id, code, slug, filter or search term of the API can hold one, and PostgreSQL refuses
to compare text with a NUL in it (psycopg raises DataError: a server error), whereas
SQLite just finds nothing. So on every database: a NUL in the path is a 404 (no such
object), a NUL in a query parameter a 400. Bodies are checked by their serializers (DRF's
CharField refuses NUL).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .errors import api_not_found, json_error


class NulCharacterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            if "\x00" in request.path:
                return api_not_found(request)
            if any(
                "\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()
            ):
                return json_error(400, "invalid", _("A query parameter contains a NUL character."))
        return self.get_response(request)
