"""Parts of the home page that the apps above cms fill in, as `people.sections` does for
people's pages: cms knows pages, not curricula or courses, so the home page names a place
(the hook below) where an app registers a function in its `wagtail_hooks.py`::

    @hooks.register(HOME_PAGE_SECTIONS, order=100)
    def catalogue(request, page):
        return Section(render_to_string(...), stylesheets=("courses/css/courses.css",))

The `{% home_page_sections page %}` tag (cms_tags) renders what the functions return, in
hook order; a function returns None when it has nothing to show.
"""

from __future__ import annotations

from django.http import HttpRequest
from wagtail import hooks
from wagtail.models import Page

from people.sections import Section

# fn(request, page) -> Section | None, page being the home page in the reader's language
HOME_PAGE_SECTIONS = "cms_home_page_sections"

__all__ = ["HOME_PAGE_SECTIONS", "Section", "home_page_sections"]


def home_page_sections(request: HttpRequest, page: Page) -> list[Section]:
    found = (fn(request, page) for fn in hooks.get_hooks(HOME_PAGE_SECTIONS))
    return [section for section in found if section is not None]
