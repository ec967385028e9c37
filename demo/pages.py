"""Page-tree helpers shared by the demo's curricula and courses: a child page created once,
its az and ru translations, stable block ids, and the competences the content names."""

from __future__ import annotations

import uuid

from wagtail.actions.convert_alias import ConvertAliasPageAction
from wagtail.models import Locale, Page, Site

from cms.models import HomePage
from curricula.models import Competence

TRANSLATIONS = ("az", "ru")
_IDS = uuid.UUID("6f1c1d52-3f0e-4c4e-9d0e-5b7a8c2d1e00")  # namespace of the demo's block ids


def block_id(*parts: str) -> str:
    """The same id for the same block on every load, so loading again changes nothing."""
    return str(uuid.uuid5(_IDS, "/".join(parts)))


def competence(framework: str, code: str) -> Competence:
    return Competence.objects.get(area__framework__slug=framework, code=code)


def english_home() -> HomePage | None:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page.specific
    return HomePage.objects.filter(depth=2, locale__language_code="en").first()


def child(parent: Page, model, slug: str, **fields):
    """The child of `parent` with this slug, created and published when missing."""
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def translate(page: Page, texts: dict[str, dict[str, str]]) -> None:
    """Copy `page` into az and ru (when missing) with the given fields translated. A
    translation that is still an alias (made when a child was translated first) becomes a
    page of its own."""
    for language in TRANSLATIONS:
        locale = Locale.objects.get(language_code=language)
        existing = (
            type(page).objects.filter(translation_key=page.translation_key, locale=locale).first()
        )
        if existing is not None and not existing.alias_of_id:
            continue
        if existing is not None:
            ConvertAliasPageAction(existing).execute(skip_permission_checks=True)
            copy = type(page).objects.get(pk=existing.pk)
        else:
            copy = page.copy_for_translation(locale, copy_parents=True)
        for field, values in texts.items():
            setattr(copy, field, values[language])
            if field == "title":
                copy.draft_title = values[language]
        copy.save_revision().publish()
