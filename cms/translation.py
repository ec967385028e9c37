"""Pages in several languages: the one place that knows how translations of a page relate.

A page copied into another locale (Wagtail's "Translate") shares its `translation_key`
with the original. The rules that follow are used by every app that shows pages:

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
- A translation whose text was never translated (Wagtail's "Translate" copies the page
  as it is, and an alias of the original shows the original's text) says so and offers
  the original (`untranslated_source`; cms/_translation_notice.html).
- The language switcher leads to the same page in the chosen language (`page_url_in`,
  `path_in_language`), whatever language the reader's cookie names.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils import translation
from wagtail.fields import StreamField
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


def untranslated_source(page: Page) -> Page | None:
    """The same page in another language whose text `page` shows untranslated, or None.

    The rule: an alias shows its original's text, so its source is the original. A
    translation (any version of a page but the original of its group) whose body (the
    words stored in all its StreamFields, block ids aside) is the same as that of the
    page in another language was copied and never translated; its source is that page,
    the original first. A page without body text, or whose text differs (even in part: a
    translator is at work), has none. Code and formulas count as text: a lesson of code
    alone, identical in every language, is reported as not translated either.
    """
    if page.alias_of_id:
        source = Page.objects.filter(pk=page.alias_of_id).select_related("locale").first()
        if source is not None and source.locale_id != page.locale_id:
            return source.specific
        return None
    text = _body_text(page)
    if not text:
        return None
    group = list(
        type(page)
        .objects.filter(translation_key=page.translation_key)
        .select_related("locale")
        .order_by("pk")
    )
    if not group or group[0].pk == page.pk:  # the original is never "not translated"
        return None
    for other in group:
        if other.locale_id != page.locale_id and other.live and _body_text(other) == text:
            return other
    return None


def _body_text(page: Page) -> list[str]:
    """The words of the page's StreamFields, block by block, read from the stored data (no
    query for the images or snippets a block chooses; block ids and types left out)."""
    words: list[str] = []

    def collect(data) -> None:
        if isinstance(data, str):
            if data.strip():
                words.append(data.strip())
        elif isinstance(data, dict):
            for key, value in data.items():
                if key not in ("id", "type"):
                    collect(value)
        elif isinstance(data, list):
            for item in data:
                collect(item)

    for field in page._meta.get_fields():
        if isinstance(field, StreamField):
            collect(list(getattr(page, field.name).raw_data))
    return words


def page_urls(page: Page, languages: list[str]) -> dict[str, str]:
    """The address of `page` in each language (one query): its live translation's, whatever
    its slug, else that of the version `TranslationFallbackMixin` serves in its place (the
    page in the default language, else the original) under that language's prefix."""
    group = list(
        Page.objects.filter(translation_key=page.translation_key)
        .select_related("locale")
        .order_by("pk")
    )
    original = group[0] if group else page
    live: dict[str, Page] = {}
    for version in group:  # the first created wins within a language
        if version.live:
            live.setdefault(version.locale.language_code, version)
    live[page.locale.language_code] = page
    instead = live.get(settings.LANGUAGE_CODE[:2]) or original
    return {code: url_in_language(live.get(code, instead), code) for code in languages}


def page_url_in(page: Page, language: str) -> str:
    """The address of `page` in `language` (`page_urls`)."""
    return page_urls(page, [language])[language]


def path_in_language(path: str, language: str, languages: list[str]) -> str:
    """`path` (with its query) under `language`'s prefix when it has a language prefix,
    else as it is (the API, the admin and `/` follow the reader's cookie)."""
    parts = path.split("/", 2)  # "", "az", "rest?query"
    if len(parts) >= 2 and parts[1] in languages:
        return "/".join(["", language, *parts[2:]]) if len(parts) == 3 else f"/{language}"
    return path
