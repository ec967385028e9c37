"""What published pages show every reader, cached until the next change to any page.

`PAGES` is one cache namespace (lms/cache.py) for everything derived from the live page
tree: routes (an address to its page), the addresses of a page in each language, the
translation notice, and what page classes cache of their own (a lesson's rendered blocks,
courses/page_selectors.py). Any change that could alter one of these retires them all:
a page saved, published, unpublished, moved or deleted (Wagtail's signals and the page's
own post_save/post_delete), a site, locale or view restriction changed, an image changed.
Publishing is rare next to reading, so "everything at once" costs little and is exact.

Nothing here is used for a preview (`request.is_preview`): a draft is never cached, and
never read from the cache.

Routes (an address to its page) are cached under it too (cms/routing.py).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail import signals as wagtail_signals
from wagtail.models import Locale, Page, PageViewRestriction, Site

from lms.cache import Namespace

PAGES = Namespace("cms:pages")


def cacheable(request) -> bool:
    return request is not None and not getattr(request, "is_preview", False)


# ---------------------------------------------------------------------------------------
# What invalidates
# ---------------------------------------------------------------------------------------


def _changed(**kwargs) -> None:
    PAGES.invalidate()


def _page_changed(sender, instance=None, **kwargs) -> None:
    if isinstance(instance, Page):
        PAGES.invalidate()


def connect() -> None:
    for signal in (
        wagtail_signals.page_published,
        wagtail_signals.page_unpublished,
        wagtail_signals.post_page_move,
        wagtail_signals.page_slug_changed,
    ):
        signal.connect(_changed, dispatch_uid=f"cms.pagecache-{id(signal)}")
    # every page class: a save (publish, an alias created live, a title fixed by code)
    # or a deletion
    post_save.connect(_page_changed, dispatch_uid="cms.pagecache-page-saved")
    post_delete.connect(_page_changed, dispatch_uid="cms.pagecache-page-deleted")
    for model in (Site, Locale, PageViewRestriction):
        for signal in (post_save, post_delete):
            signal.connect(
                _changed, sender=model, dispatch_uid=f"cms.pagecache-{model.__name__}-{id(signal)}"
            )


def any_view_restrictions() -> bool:
    """Whether any page is restricted (a password, a login, groups); cached, in this
    process too (a bool: nothing to mutate)."""
    return PAGES.get_or_set(("view-restrictions",), PageViewRestriction.objects.exists, local=True)


class ViewRestrictionsMixin:
    """For page classes: no query for the view restrictions of a page (and its ancestors)
    while no page of the site has one, which is this platform's rule (lessons are gated
    by enrolment, not by Wagtail's privacy settings)."""

    def get_view_restrictions(self):
        if not any_view_restrictions():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()
