"""Three languages with prefixed URLs; `/` answers in the visitor's language."""

import html
import re

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("accept", "lang"), [("ru", "ru"), ("az", "az"), ("en-GB,en", "en")])
def test_the_root_answers_in_the_visitors_language_without_a_redirect(client, accept, lang):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    assert response["Content-Language"] == lang
    assert f'<html lang="{lang}">' in response.content.decode()


def test_the_root_falls_back_to_english_for_other_languages(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_each_language_has_its_home_page(client, lang):
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'<html lang="{lang}">' in text
    assert f'href="/{lang}/accounts/login/"' in text


def test_an_unknown_language_prefix_ends_on_the_not_found_page(client):
    response = client.get("/de/", follow=True)
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


def switch_to(page: str, language: str) -> str:
    """The address the switcher's button for `language` posts to (cms_tags.language_links)."""
    found = re.search(rf'value="{language}"[^>]*formaction="([^"]+)"', page)
    assert found, f"no {language} button in the switcher"
    return html.unescape(found.group(1))


def test_the_language_switcher_keeps_the_page(client):
    client.force_login(UserFactory())
    page = client.get("/en/dashboard/").content.decode()
    assert switch_to(page, "ru") == "/i18n/setlang/?next=/ru/dashboard/"

    response = client.post(switch_to(page, "ru"), {"language": "ru"})

    assert response.status_code == 302
    assert response["Location"] == "/ru/dashboard/"
    dashboard = client.get("/ru/dashboard/")
    assert dashboard.status_code == 200
    assert dashboard["Content-Language"] == "ru"


def test_the_chosen_language_is_remembered_at_the_root(client):
    client.post("/i18n/setlang/", {"language": "az", "next": "/"})
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Language"] == "az"


def test_the_switcher_refuses_to_leave_the_site(client):
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
