"""A visitor browses the courses from the home page: by track and curriculum, or with the
search box; the page has one title and the site's icon."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.courses.pages import course, curriculum

pytestmark = pytest.mark.e2e


def test_a_visitor_finds_a_course_from_the_home_page(page: Page, live_server):
    school = curriculum(title="Informatics 5-9", track="school")
    python = course(school, title="Python basics", summary="Variables, loops and lists.")
    course(curriculum(title="Data science", track="university", grade_band=""), title="Pandas")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    page.goto("/en/")
    expect(page).to_have_title("National Digital Skills Platform")
    catalogue = page.get_by_test_id("catalogue")
    expect(catalogue.get_by_test_id("catalogue-track")).to_have_count(2)
    school_shelf = catalogue.get_by_role("region", name="School")
    expect(school_shelf).to_contain_text("Informatics 5-9")
    school_shelf.get_by_role("link", name="Python basics").click()
    expect(page).to_have_url(live_server.url + python.url)
    expect(page).to_have_title("Python basics · National Digital Skills Platform")

    page.goto("/en/")
    search = page.get_by_role("search", name="Search courses and lessons")
    search.get_by_label("Search courses and lessons").fill("pandas")
    search.get_by_label("Track").select_option("university")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("search-results")).to_contain_text("Pandas")
    expect(page.get_by_test_id("search-results")).not_to_contain_text("Python basics")

    assert not [url for url in asked if url.endswith("/favicon.ico")]
    assert any(url.endswith("/static/cms/favicon.svg") for url in asked)
