"""The landing page at `/`, served as the site's home page in the request's language."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from wagtail.models import Site


def home_for_request(request: HttpRequest) -> HttpResponse:
    """Serve the site's home page in the request's language, without a redirect."""
    site = Site.find_for_request(request)
    if site is None:
        return render(request, "404.html", status=404)
    page = site.root_page.localized.specific
    return page.serve(request)
