"""Site-wide views: the landing page at `/` and error pages (JSON under /api/)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from wagtail.models import Site

from lms.api.errors import api_not_found, api_server_error, json_error


def home_for_request(request: HttpRequest) -> HttpResponse:
    """Serve the site's home page in the request's language, without a redirect."""
    site = Site.find_for_request(request)
    if site is None:
        return render(request, "404.html", status=404)
    page = site.root_page.localized.specific
    return page.serve(request)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_403(request, exception=None):
    if _is_api(request):
        return json_error(
            403,
            "permission_denied",
            str(exception or "") or _("You do not have permission to perform this action."),
        )
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def error_404(request, exception=None):
    if _is_api(request):
        return api_not_found(request, exception)
    return render(request, "404.html", status=404)


def error_500(request):
    if _is_api(request):
        return api_server_error(request)
    # No request context: the context processors may be what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
