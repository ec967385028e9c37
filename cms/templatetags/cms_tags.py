"""The site's template tags: the language switcher's addresses, the notice on a page that
is not (fully) translated, the page title, and the home page's sections."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language_info
from wagtail.models import Page

from ..pagecache import PAGES, cacheable
from ..sections import home_page_sections as collect_home_page_sections
from ..translation import active_language, page_urls, path_in_language, untranslated_source

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """For the switcher: each language with the address of this same page in it.

    The switcher posts to Django's `set_language` with that address as `next`: Django's own
    translation of `next` resolves it in the language of the reader's cookie, which fails
    (and leaves the reader where they were) when the address is in another language, such
    as a shared /az/ link opened by a reader whose cookie says en.
    """
    request = context.get("request")
    page = context.get("page")
    current = active_language()
    codes = [code for code, _name in settings.LANGUAGES]
    urls = {}
    if isinstance(page, Page) and page.pk:
        if cacheable(request):
            urls = PAGES.get_or_set(("urls", page.pk), lambda: page_urls(page, codes), local=True)
        else:
            urls = page_urls(page, codes)
    query = request.META.get("QUERY_STRING", "") if request is not None else ""
    links = []
    for code in codes:
        if code in urls:
            url = urls[code] + (f"?{query}" if query else "")
        elif request is not None:
            url = path_in_language(request.get_full_path(), code, codes)
        else:
            url = f"/{code}/"
        links.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"],
                "url": url,
                "current": code == current,
            }
        )
    return links


@register.simple_tag(takes_context=True)
def translation_notice(context, page) -> dict | None:
    """What the page says about its language, or None when it is in the reader's.

    `missing`: no translation in the reader's language, the original is served instead;
    `untranslated`: a translation whose text was never translated (`untranslated_source`).
    Either way the notice offers the original, at its own address.
    """
    if not isinstance(page, Page):
        return None
    if cacheable(context.get("request")) and page.pk:
        return PAGES.get_or_set(
            ("notice", page.pk, active_language()), lambda: _translation_notice(page), local=True
        )
    return _translation_notice(page)


def _translation_notice(page: Page) -> dict | None:
    wanted = active_language()
    if page.locale.language_code != wanted:
        kind, source = "missing", page
    else:
        source = untranslated_source(page)
        if source is None:
            return None
        kind = "untranslated"
    shown = source.locale.language_code
    return {
        "kind": kind,
        "wanted": get_language_info(wanted)["name_translated"],
        "shown": get_language_info(shown)["name_translated"],
        "shown_code": shown,
        "original_url": source.url or "",
    }


@register.filter
def with_site_name(title: str, site_name) -> str:
    """`title · site name`, once: the site name alone for a page without a title of its own
    or titled like the site (the home page)."""
    title = str(conditional_escape(title or "")).strip()
    if not title or title == str(conditional_escape(site_name)):
        return format_html("{}", site_name)
    return format_html("{} · {}", SafeString(title), site_name)


@register.simple_tag(takes_context=True)
def home_page_sections(context, page) -> str:
    """The sections other apps add to the home page (`cms.sections`), with their styles."""
    request = context.get("request")
    if request is None:
        return ""
    found = collect_home_page_sections(request, page)
    sheets = dict.fromkeys(path for section in found for path in section.stylesheets)
    return format_html(
        "{}{}",
        format_html_join("", '<link rel="stylesheet" href="{}">\n', ((static(p),) for p in sheets)),
        format_html_join("", "{}", ((section.html,) for section in found)),
    )
