"""The language switcher in a real browser, from a shared /az/ lesson link opened by a
reader whose cookie says English: every button leads to the same lesson in its language,
and a lesson whose text was never translated says so and offers the original."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.courses.pages import course, curriculum, lesson, student_of, translate
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

ENGLISH = [{"type": "paragraph", "id": "p1", "value": "<p>A loop repeats the same steps.</p>"}]
AZERBAIJANI = [
    {"type": "paragraph", "id": "p1", "value": "<p>Dövr eyni addımları təkrarlayır.</p>"}
]


def log_in(page: Page, username: str) -> None:
    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator(".login-box button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/en/dashboard/$"))


def switch(page: Page, language: str) -> None:
    page.locator(".lang-switch").get_by_role("button", name=language.upper()).click()


def test_the_switcher_moves_a_shared_az_lesson_link_to_the_same_lesson(page: Page, live_server):
    python = course(curriculum(title="Informatics"), title="Python basics")
    loops = lesson(python, title="Loops", slug="loops", body=ENGLISH)
    translate(python, "az", title="Python əsasları")
    az_loops = translate(loops, "az", title="Dövrlər", slug="dovrler", body=json.dumps(AZERBAIJANI))
    student = student_of(python, username="aysel")
    log_in(page, student.username)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )

    page.goto(az_loops.url)  # the link a classmate shared
    expect(page.locator("html")).to_have_attribute("lang", "az")
    expect(page.locator("h1")).to_have_text("Dövrlər")

    switch(page, "en")
    expect(page).to_have_url(live_server.url + loops.url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Loops")

    switch(page, "ru")  # no Russian translation: the original, in a Russian frame
    expect(page).to_have_url(live_server.url + loops.url.replace("/en/", "/ru/", 1))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_test_id("translation-notice")).to_be_visible()

    switch(page, "az")
    expect(page).to_have_url(live_server.url + az_loops.url)
    expect(page.locator("h1")).to_have_text("Dövrlər")
    expect(page.get_by_test_id("translation-notice")).to_have_count(0)


def test_an_untranslated_lesson_says_so_and_offers_the_original(page: Page, live_server):
    python = course(curriculum(title="Informatics"), title="Python basics")
    loops = lesson(python, title="Loops", slug="loops", body=ENGLISH)
    translate(python, "az", title="Python əsasları")
    az_loops = translate(loops, "az", title="Dövrlər")  # the title only
    log_in(page, student_of(python, username="aysel").username)

    page.goto(az_loops.url)
    notice = page.get_by_test_id("translation-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("data-kind", "untranslated")

    notice.get_by_test_id("translation-original").click()
    expect(page).to_have_url(live_server.url + loops.url)
    expect(page.locator("h1")).to_have_text("Loops")
    expect(page.get_by_test_id("translation-notice")).to_have_count(0)
