"""A page missing in the reader's language is served in its original language.

`/az/curricula/school/python/` when the Python course was never translated into
Azerbaijani: instead of a 404, the router continues in the original tree (the default
locale's, or else the first-created translation) and serves that page under the /az/
prefix, so the interface stays in Azerbaijani and the page says it is not translated.
"""

from __future__ import annotations

from django.http import Http404
from wagtail.models import Locale, Page


class TranslationFallbackMixin:
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
