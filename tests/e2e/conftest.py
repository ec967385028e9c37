"""Browser tests: Debian's headless Chromium, driven by Playwright, against the real
Django server that pytest-django's `live_server` runs in a thread.

`live_server` implies a transactional database: the server thread must see what a test
commits. Every test here also asks for `django_db_serialized_rollback`, so the data the
migrations create (the Wagtail home page and site, regions, the admin groups) is restored
before each test instead of being flushed away by the first one. (Django still empties
the database after each of them; pytest-django runs transactional tests last for that.)

Set E2E_SCREENSHOT_DIR=/some/dir to keep a full-page screenshot of every test's last page.

Every page runs under the platform's Content-Security-Policy; whatever the browser refuses
because of it (an inline script, a style= attribute, a handler, a file from elsewhere) is
reported in its console, and the test fails with those messages (`csp_violations`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT_MS = 10_000

# Playwright's sync API keeps an asyncio event loop running in the main thread while the
# browser is open. Django's ORM sees that loop and refuses synchronous queries from the
# test code ("You cannot call this from an async context"), although nothing here is
# async: the test thread only waits on the browser, and the live server answers requests
# in its own thread with its own connection. DJANGO_ALLOW_ASYNC_UNSAFE tells Django the
# sync calls are safe; it is set only while the browser is open (package scope), so the
# rest of the suite (and the subprocesses it starts) runs with Django's check intact.


@pytest.fixture(scope="package")
def browser(django_db_setup) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make browser-deps` or set E2E_CHROMIUM.")
    # Once Playwright's event loop runs in this thread, Django's connection handler (an
    # asgiref Local) hands out other connection objects than before. The copy of the
    # migrated data that serialized rollback restores from hangs on the old ones, so
    # without this every browser test after a transactional test of another folder
    # (a real-worker test, say) would start on an emptied database.
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    for alias, contents in serialized.items():
        connections[alias]._test_serialized_contents = contents
    try:
        # The system Chromium, never a downloaded one: `playwright install` is not needed.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def is_csp_violation(text: str) -> bool:
    """Chromium's console line for anything a Content-Security-Policy refused."""
    return "Content Security Policy" in text or "Content-Security-Policy" in text


@pytest.fixture
def csp_violations() -> list[str]:
    """The console messages of CSP refusals on the test's pages; the page fails on any."""
    return []


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server,
    django_db_serialized_rollback,
    csp_violations: list[str],
) -> Iterator[Page]:
    """A fresh browser context (no cookies, no session) per test, pointed at the live server."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    # Every page and frame of the context, also pages a link opens in a new tab.
    context.on(
        "console",
        lambda message: (
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")
            if is_csp_violation(message.text)
            else None
        ),
    )
    page = context.new_page()
    yield page
    screenshots = os.environ.get("E2E_SCREENSHOT_DIR")
    if screenshots:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
        page.screenshot(path=str(Path(screenshots) / f"{name}.png"), full_page=True)
    context.close()
    if csp_violations:
        pytest.fail("The Content-Security-Policy refused:\n" + "\n".join(csp_violations))
