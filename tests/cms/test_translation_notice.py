"""A translation whose text was never translated says so and offers the original; the
language switcher leads to the same page in the chosen language, whatever the cookie."""

import html
import json
import re

import pytest
from django.conf import settings
from django.utils import translation
from wagtail.models import Locale

from cms.models import HomePage, StandardPage
from cms.translation import page_url_in, path_in_language, untranslated_source
from tests.courses.pages import course, curriculum, lesson, student_of, translate

pytestmark = pytest.mark.django_db

ENGLISH_BODY = [
    {"type": "heading", "id": "h1", "value": {"text": "Loops", "level": "h2"}},
    {"type": "paragraph", "id": "p1", "value": "<p>A loop repeats the same steps.</p>"},
]


def home(language: str = "en") -> HomePage:
    return HomePage.objects.get(depth=2, locale__language_code=language)


def about(body=ENGLISH_BODY, slug="about") -> StandardPage:
    page = StandardPage(title="About", slug=slug, body=json.dumps(body))
    home().add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def notice(response) -> str:
    found = re.search(
        r'<p class="msg warning translation-notice".*?</p>', response.content.decode(), re.S
    )
    return found.group(0) if found else ""


def test_a_copy_whose_body_was_never_translated_names_the_original():
    original = about()
    copy = translate(original, "az", title="Haqqında")  # the title only

    assert untranslated_source(copy) == original
    assert untranslated_source(original) is None  # the original is never "not translated"


def test_a_body_translated_even_in_part_is_a_translation_and_an_empty_one_is_not_judged():
    original = about()
    body = [
        dict(ENGLISH_BODY[0]),
        {**ENGLISH_BODY[1], "value": "<p>Dövr eyni addımları təkrarlayır.</p>"},
    ]
    partly = translate(original, "az", title="Haqqında", body=json.dumps(body))
    assert untranslated_source(partly) is None

    empty = about(body=[], slug="empty")
    assert untranslated_source(translate(empty, "ru", title="О нас")) is None


def test_an_alias_in_another_language_shows_the_originals_text():
    original = about()
    alias = original.create_alias(
        parent=home("ru"), update_locale=Locale.objects.get(language_code="ru")
    )
    assert untranslated_source(alias) == original


def test_an_untranslated_lesson_says_so_in_the_readers_language_and_links_the_original(client):
    python = course(curriculum(title="Informatics"), title="Python basics")
    loops = lesson(python, title="Loops", slug="loops", body=ENGLISH_BODY)
    translate(python, "az", title="Python əsasları")
    az_loops = translate(loops, "az", title="Dövrlər")
    client.force_login(student_of(python))

    shown = notice(client.get(az_loops.url))

    assert 'data-kind="untranslated"' in shown
    assert "Azərbaycan" in shown  # "... into Azerbaijani": the language's name, in az
    assert f'href="{loops.url}"' in shown and loops.url.startswith("/en/")
    assert 'hreflang="en"' in shown
    assert notice(client.get(loops.url)) == ""  # the original itself: no notice

    az_loops.body = json.dumps(
        [ENGLISH_BODY[0], {**ENGLISH_BODY[1], "value": "<p>Dövr addımları təkrarlayır.</p>"}]
    )
    az_loops.save_revision().publish()
    assert notice(client.get(az_loops.url)) == ""


def test_a_page_missing_in_a_language_offers_the_original_too(client):
    original = about()

    shown = notice(client.get("/ru/about/"))

    assert 'data-kind="missing"' in shown
    assert f'href="{original.url}"' in shown


# ---------------------------------------------------------------------------------------
# The language switcher
# ---------------------------------------------------------------------------------------
def switch_to(page: str, language: str) -> str:
    found = re.search(rf'value="{language}"[^>]*formaction="([^"]+)"', page)
    assert found, f"no {language} button in the switcher"
    return html.unescape(found.group(1))


def test_a_path_keeps_its_place_and_query_in_another_language():
    codes = [code for code, _ in settings.LANGUAGES]
    assert path_in_language("/az/search/?q=loops&track=school", "ru", codes) == (
        "/ru/search/?q=loops&track=school"
    )
    assert path_in_language("/az", "en", codes) == "/en"
    assert path_in_language("/admin/pages/", "ru", codes) == "/admin/pages/"
    assert path_in_language("/de/x/", "ru", codes) == "/de/x/"


def test_the_switcher_leads_to_the_translation_whatever_its_slug():
    original = about()
    az = translate(original, "az", title="Haqqında", slug="haqqinda")

    assert page_url_in(original, "az") == "/az/haqqinda/"
    assert page_url_in(az, "en") == "/en/about/"
    assert page_url_in(az, "ru") == "/ru/about/"  # none in ru: the original, served in ru


def test_a_shared_az_link_switches_to_english_for_a_reader_whose_cookie_says_english(client):
    python = course(curriculum(title="Informatics"), title="Python basics")
    loops = lesson(python, title="Loops", slug="loops", body=ENGLISH_BODY)
    translate(python, "az", title="Python əsasları")
    az_loops = translate(loops, "az", title="Dövrlər", slug="dovrler")
    client.force_login(student_of(python))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    shared = client.get(az_loops.url).content.decode()
    response = client.post(switch_to(shared, "en"), {"language": "en"})

    assert response.status_code == 302
    assert response["Location"] == loops.url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    with translation.override("en"):
        english = client.get(response["Location"])
    assert "<h1>Loops</h1>" in english.content.decode()
    back = client.post(switch_to(english.content.decode(), "az"), {"language": "az"})
    assert back["Location"] == az_loops.url
