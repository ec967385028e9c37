"""The site's frame: one title per page (the site's name once), and an icon that every
page finds, so no browser asks for a missing /favicon.ico."""

import re

import pytest
from django.contrib.staticfiles import finders

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE_NAMES = {
    "en": "National Digital Skills Platform",
    "az": "Milli Rəqəmsal Bacarıqlar Platforması",
    "ru": "Национальная платформа цифровых навыков",
}


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


@pytest.mark.parametrize("language", ["en", "az", "ru"])
def test_the_home_page_is_titled_with_the_sites_name_once(client, language):
    assert title(client.get(f"/{language}/")) == SITE_NAMES[language]


def test_other_pages_put_their_own_title_first(client):
    client.force_login(UserFactory())
    assert title(client.get("/en/dashboard/")) == "My dashboard · National Digital Skills Platform"
    assert title(client.get("/en/no-such-page/")) == (
        "Page not found · National Digital Skills Platform"
    )


def test_every_page_names_the_sites_icon_and_favicon_ico_leads_to_it(client):
    html = client.get("/en/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert icon and icon.group(1) == "/static/cms/favicon.svg"
    assert finders.find("cms/favicon.svg")

    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/cms/favicon.svg"
