"""A page and its translations: the original counts, readers see their language."""

import pytest
from django.utils import translation
from wagtail.models import Locale

from cms.models import HomePage, StandardPage
from cms.translation import canonical_page, children_in_language, in_language, url_in_language

pytestmark = pytest.mark.django_db


def home(language: str = "en") -> HomePage:
    return HomePage.objects.get(depth=2, locale__language_code=language)


def publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def translated(page, language: str, title: str):
    copy = page.copy_for_translation(Locale.objects.get(language_code=language))
    copy.title = copy.draft_title = title
    copy.save_revision().publish()
    copy.refresh_from_db()
    return copy


def test_every_install_has_the_home_page_in_each_language():
    assert {h.locale.language_code for h in HomePage.objects.filter(depth=2)} == {"az", "en", "ru"}
    assert canonical_page(home("az")) == home("en")


def test_a_translation_leads_back_to_its_original_and_readers_see_their_language():
    about = publish(home(), StandardPage(title="About", slug="about"))
    help_page = publish(home(), StandardPage(title="Help", slug="help"))
    haqqinda = translated(about, "az", "Haqqında")

    assert canonical_page(haqqinda) == about
    assert canonical_page(about) == about
    shown = in_language([about, help_page], "az")
    assert shown[about.pk].title == "Haqqında"
    assert shown[help_page.pk] == help_page  # not translated: shown as it is
    # an untranslated page keeps the reader's language prefix (served by the fallback)
    assert url_in_language(help_page, "az") == "/az/help/"
    assert url_in_language(help_page, "en") == "/en/help/"


def test_a_listing_shows_the_originals_children_in_the_readers_language():
    about = publish(home(), StandardPage(title="About", slug="about"))
    publish(home(), StandardPage(title="Help", slug="help"))
    translated(about, "az", "Haqqında")

    with translation.override("az"):
        children = children_in_language(home("az"))

    assert [(c.title, c.url_in_language) for c in children] == [
        ("Haqqında", "/az/about/"),
        ("Help", "/az/help/"),
    ]
    assert all(isinstance(c, StandardPage) for c in children)
