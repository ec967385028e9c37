"""Search over courses and lessons (Wagtail search, database backend), filtered by track and
language of instruction; the search page is linked from every page's header."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

from .pages import course, curriculum, lesson, translate

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    school = curriculum(title="Digital skills", track="school")
    university = curriculum(title="Data science", track="university")
    safe = course(school, title="Staying safe online", summary="Passwords and phishing.")
    lesson(safe, title="Recognising phishing", introduction="Messages that pretend.")
    course(university, title="Phishing research", summary="Phishing at scale.", language="en")
    course(university, title="Machine learning", summary="Models and data.", language="ru")
    return safe


def titles(client, **params) -> list[str]:
    html = client.get(reverse("courses:search"), params).content.decode()
    return [
        part.split("</strong>")[0] for part in html.split("<strong>")[1:] if "</strong>" in part
    ]


def test_search_finds_courses_and_lessons(client, catalogue):
    found = titles(client, q="phishing")
    assert set(found) == {"Staying safe online", "Recognising phishing", "Phishing research"}


def test_search_filters_by_track_and_language(client, catalogue):
    assert set(titles(client, q="phishing", track="school")) == {
        "Staying safe online",
        "Recognising phishing",
    }
    assert titles(client, q="phishing", track="university") == ["Phishing research"]
    assert titles(client, q="models", language="ru") == ["Machine learning"]
    assert titles(client, q="models", language="en") == []


def test_a_translated_page_is_found_once_in_the_readers_language(client, catalogue):
    translate(catalogue, "az", title="İnternetdə təhlükəsizlik")

    html = client.get("/az/learning/search/", {"q": "phishing"}).content.decode()

    assert "İnternetdə təhlükəsizlik" in html
    assert "Staying safe online" not in html


def test_nothing_found_says_so_and_an_empty_query_shows_the_form(client, catalogue):
    html = client.get(reverse("courses:search"), {"q": "zebra"}).content.decode()
    assert "Nothing found." in html
    assert client.get(reverse("courses:search")).status_code == 200


def test_the_header_links_to_search_for_everyone(client, catalogue):
    assert 'data-testid="search-link"' in client.get(catalogue.url).content.decode()
    client.force_login(UserFactory())
    assert 'data-testid="search-link"' in client.get(reverse("dashboard")).content.decode()
