"""Pages in several languages: the one place that knows how translations of a page relate.

A page copied into another locale (Wagtail's "Translate") shares its `translation_key`
with the original. Four rules follow, used by every app that shows pages:

- The *canonical* page of a translation group is its original (the first created):
  enrolments, attempts and progress point at it, so a student who switches language
  keeps their progress (`canonical_page`).
- A page is shown in the reader's language where a live translation exists, else as it
  is (`in_language`), at an address under the reader's language prefix
  (`url_in_language`).
- A page missing in the reader's language is served in its original language instead of
  a 404 (`TranslationFallbackMixin`): `/az/curricula/school/python/` when the Python
  course was never translated into Azerbaijani serves the original under the /az/ prefix,
  so the interface stays in Azerbaijani and the page says it is not translated.
- A listing shows the original page's children, each in the reader's language
  (`children_in_language`).
"""

from __future__ import annotations

from django.http import Http404
from django.utils import translation
from wagtail.models import Locale, Page


def active_language() -> str:
    return (translation.get_language() or "en")[:2]


def canonical_page(page: Page) -> Page:
    """The original page of a translation group (the first created), as its own class."""
    first = (
        type(page)
        .objects.filter(translation_key=page.translation_key)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if first is None or first == page.pk:
        return page
    return type(page).objects.get(pk=first)


def in_language(pages: list[Page], language: str | None = None) -> dict[int, Page]:
    """For each page (by pk), its live translation in `language`, or the page itself when
    it has none. One query for any number of pages."""
    language = language or active_language()
    keys = {p.translation_key for p in pages}
    translated = {
        p.translation_key: p
        for p in Page.objects.filter(
            translation_key__in=keys, locale__language_code=language, live=True
        ).specific()
    }
    return {p.pk: translated.get(p.translation_key, p) for p in pages}


def url_in_language(page: Page, language: str | None = None) -> str:
    """The page's address under the reader's language prefix. A page without a
    translation is served in its own language under that prefix (see
    `TranslationFallbackMixin`)."""
    language = language or active_language()
    url = page.url or ""
    parts = url.split("/", 2)  # "", "en", "rest"
    if len(parts) == 3 and parts[1] != language and len(parts[1]) == 2:
        return f"/{language}/{parts[2]}"
    return url


def children_in_language(page: Page) -> list[Page]:
    """The live, public children of the page's original, in tree order, each in the
    reader's language where translated (as its specific class), with its address in the
    reader's language as `url_in_language`. A listing page shows these without knowing
    the classes of its children, in a fixed number of queries however many there are."""
    originals = list(canonical_page(page).get_children().live().public().specific())
    shown = in_language(originals)
    children = [shown[child.pk] for child in originals]
    for child in children:
        child.url_in_language = url_in_language(child)
    return children


class TranslationFallbackMixin:
    """For page classes: route into the original tree when the page is not translated."""

    def route(self, request, path_components):
        try:
            return super().route(request, path_components)
        except Http404:
            if not path_components:
                raise
            source = self.translation_fallback_source()
            if source is None:
                raise
            return source.specific.route(request, path_components)

    def translation_fallback_source(self) -> Page | None:
        """The same page in the default language, else its original; None for itself."""
        default = Locale.get_default()
        if self.locale_id == default.pk:
            return None
        return (
            self.get_translation_or_none(default)
            or Page.objects.filter(translation_key=self.translation_key)
            .exclude(pk=self.pk)
            .order_by("pk")
            .first()
        )
