"""Wagtail's page serving with cached routes.

Wagtail finds a page by walking the tree from the site's root, one query per level.
`serve` asks the cache (cms.pagecache.PAGES, retired by any page change) for the page's id
and class first, loads that one page, and hands the route to Wagtail's own `serve`, so
every hook (view restrictions, the lesson reading gate) runs as before. Only plain routes
are cached (no arguments from a routable page), and only found ones: an unknown address
costs the walk and fills nothing. The key holds the host and the active language (the
site's root is localized).
"""

from __future__ import annotations

import copy

from django.contrib.contenttypes.models import ContentType
from django.urls import re_path
from wagtail import urls as wagtail_urls
from wagtail.models import Page
from wagtail.views import serve as wagtail_serve

from .pagecache import PAGES
from .translation import active_language


def serve(request, path):
    """Wagtail's `serve`, with the route (address -> page) read from the cache."""
    if request.method in ("GET", "HEAD") and not hasattr(request, "_wagtail_route_for_request"):
        host = request.get_host()
        key = ("route", host, active_language(), path)
        found = PAGES.get(key, local=True)
        if found is not None:
            page_id, content_type_id = found

            def load():
                model = ContentType.objects.get_for_id(content_type_id).model_class()
                return model.objects.filter(pk=page_id).first() if model else None

            # the page as it is now (any page change retires it), kept in this process;
            # each request gets its own copy
            page = PAGES.in_process(("route-page", page_id), load)
            if page is not None:
                request._wagtail_route_for_request = (copy.copy(page), [], {})
        if not hasattr(request, "_wagtail_route_for_request"):
            route = Page.route_for_request(request, path)
            if route is not None and not route[1] and not route[2]:
                page = route[0]
                PAGES.set(key, (page.pk, page.content_type_id), local=True)
    return wagtail_serve(request, path)


# Wagtail's URLs with its `serve` replaced by ours, under the same name (page URLs are
# reversed from it)
urlpatterns = [
    *(pattern for pattern in wagtail_urls.urlpatterns if pattern.name != "wagtail_serve"),
    re_path(r"^((?:[\w\-]+/)*)$", serve, name="wagtail_serve"),
]
