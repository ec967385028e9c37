"""The Wagtail admin as a teacher opens it: the dashboard and the account page load with no
error in the browser's console and no request to another site (the machines have no
internet: no avatar from Gravatar), and every time zone of the account page is one the
browser knows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.factories import PASSWORD, CohortFactory, teacher_of

pytestmark = pytest.mark.e2e


def test_the_admin_dashboard_and_account_page_have_no_console_errors(page: Page, live_server):
    teacher = teacher_of(CohortFactory(), username="elvin", email="elvin@example.az")
    errors: list[str] = []
    elsewhere: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def on_request(request: Request) -> None:
        if not request.url.startswith((live_server.url, "data:", "blob:")):
            elsewhere.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("request", on_request)
    # The admin is heavier than the platform's own pages.
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)

    page.goto("/admin/login/")
    page.locator("#id_username").fill(teacher.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.wait_for_load_state("networkidle")

    page.goto("/admin/account/")
    zones = page.locator("select[name$='current_time_zone']")
    expect(zones).to_have_count(1)
    # Wagtail's script names each zone in the browser's words ("Asia/Baku: GMT+4 (...)");
    # one it does not know stops it with "Invalid time zone specified".
    expect(zones.locator("option[value='Asia/Baku']")).to_contain_text("Asia/Baku: ")
    page.wait_for_load_state("networkidle")

    assert errors == []
    assert elsewhere == []
    avatars = page.locator("img.avatar, .avatar img")
    assert all(
        not (avatars.nth(i).get_attribute("src") or "").startswith(("http", "//"))
        for i in range(avatars.count())
    )
