"""The landing page at `/`, served as the site's home page in the request's language, and
the site's icon at `/favicon.ico`."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from wagtail.models import Site


def home_for_request(request: HttpRequest) -> HttpResponse:
    """Serve the site's home page in the request's language, without a redirect."""
    site = Site.find_for_request(request)
    if site is None:
        return render(request, "404.html", status=404)
    page = site.root_page.localized.specific
    return page.serve(request)


def favicon(request: HttpRequest) -> HttpResponse:
    """`/favicon.ico`, which browsers ask for on pages that name no icon (Django's admin,
    a file): the site's icon, so no request ends in a 404."""
    return HttpResponsePermanentRedirect(static("cms/favicon.svg"))
