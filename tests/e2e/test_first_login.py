"""A class imported without e-mail addresses logs in for the first time: the teacher
prints the class login sheet from the cohort's page, one pupil types the username and the
code from her card, another opens his card's QR code; each chooses a password and lands
on the dashboard.

The codes come from the PDF the browser downloaded, as the teacher would print it: its
text (pypdfium2) and its QR codes, read from the page rendered to PNG (zxing-cpp)."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from people.imports import student_import
from people.models import User
from tests.e2e.conftest import is_csp_violation
from tests.factories import PASSWORD, CohortFactory, teacher_of

pytestmark = pytest.mark.e2e

NEW_PASSWORDS = {"aysel.aliyeva": "yellow-kite-harbour-7", "murad.huseynov": "green-river-stone-31"}


def url(live_server, path: str) -> re.Pattern:
    return re.compile(re.escape(f"{live_server.url}{path}") + r"(\?.*)?$")


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/en/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator(".login-box").get_by_role("button", name="Log in").click()


def choose_password(page: Page, password: str) -> None:
    page.locator("#id_new_password1").fill(password)
    page.locator("#id_new_password2").fill(password)
    page.get_by_role("button", name="Set my password and log in").click()


def log_out(page: Page, live_server) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(url(live_server, "/en/accounts/login/"))


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def print_sheet(page: Page, live_server, teacher: User, cohort) -> bytes:
    """The teacher walks from the dashboard to the sheet by links and downloads it."""
    log_in(page, teacher.username, PASSWORD)
    page.get_by_test_id("teacher-home").get_by_role("link", name="9-A", exact=True).first.click()
    expect(page).to_have_url(url(live_server, f"/en/cohorts/{cohort.pk}/"))
    page.get_by_test_id("cohort-logins-link").click()
    expect(page).to_have_url(url(live_server, f"/en/cohorts/{cohort.pk}/logins/"))
    expect(page.get_by_test_id("login-sheet")).to_contain_text(
        "printing a new sheet makes the codes of earlier sheets"
    )
    page.set_viewport_size({"width": 390, "height": 844})  # the same page on a phone
    assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    with page.expect_download() as download:
        page.get_by_test_id("print-login-sheet").click()
    assert download.value.suggested_filename.startswith("login-sheet-")
    with open(download.value.path(), "rb") as pdf:
        return pdf.read()


def test_pupils_imported_without_email_log_in_with_the_class_sheet(
    page: Page, live_server, browser, csp_violations
):
    cohort = CohortFactory(name="9-A")
    teacher = teacher_of(cohort, first_name="Elvin", last_name="Guliyev")
    result = student_import(
        cohort=cohort,
        data=(
            b"username,first_name,last_name\r\n"
            b"aysel.aliyeva,Aysel,Aliyeva\r\n"
            b"murad.huseynov,Murad,Huseynov\r\n"
        ),
    )
    assert result.created == 2
    assert not User.objects.filter(username="aysel.aliyeva", email="").get().has_usable_password()

    pdf = print_sheet(page, live_server, teacher, cohort)

    # One page, one card per pupil: two QR codes on the rendered page, one per username.
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    sheet_text = document[0].get_textpage().get_text_range()
    image = document[0].render(scale=2).to_pil()
    links = [c.text for c in zxingcpp.read_barcodes(image) if c.format.name == "QRCode"]
    assert sorted(re.search(r"[?&]u=([^&]+)", link)[1] for link in links) == [
        "aysel.aliyeva",
        "murad.huseynov",
    ]
    assert all(link.startswith(f"{live_server.url}/en/first-login/?") for link in links)
    aysel_code = re.search(
        r"Aysel Aliyeva\s+Username\s+aysel\.aliyeva\s+One-time code\s+([A-Z0-9]{4}-[A-Z0-9]{4})",
        sheet_text,
    )[1]
    (murad_link,) = [link for link in links if "u=murad.huseynov" in link]

    # Aysel types her username and code from the card.
    log_out(page, live_server)
    page.goto("/en/accounts/login/")
    page.get_by_test_id("first-login-link").click()
    expect(page).to_have_url(url(live_server, "/en/first-login/"))
    page.get_by_label("Username").fill("aysel.aliyeva")
    page.get_by_label("One-time code").fill(aysel_code.lower())
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(url(live_server, "/en/first-login/password/"))
    expect(page.get_by_test_id("first-login-person")).to_contain_text("Hello, Aysel Aliyeva!")
    choose_password(page, "aliyeva")  # too short, too like her name: refused, nothing set
    expect(page.locator(".errorlist")).to_contain_text("too short")
    choose_password(page, NEW_PASSWORDS["aysel.aliyeva"])
    expect(page).to_have_url(url(live_server, "/en/dashboard/"))
    expect(page.get_by_test_id("current-user")).to_have_text("Aysel Aliyeva")
    expect(page.get_by_test_id("student-home")).to_be_visible()
    expect(page.locator(".msg.success")).to_contain_text("Your password is set.")

    # The same code again: used, a clear message, nobody logged in.
    log_out(page, live_server)
    page.goto("/en/first-login/")
    page.get_by_label("Username").fill("aysel.aliyeva")
    page.get_by_label("One-time code").fill(aysel_code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("first-login-error")).to_contain_text(
        "This code was already used to choose a password."
    )
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    # From now on, her password.
    log_in(page, "aysel.aliyeva", NEW_PASSWORDS["aysel.aliyeva"])
    expect(page).to_have_url(url(live_server, "/en/dashboard/"))

    # Murad scans the QR code on his card, on his own phone.
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if is_csp_violation(message.text) else None
        ),
    )
    try:
        murad = phone.new_page()
        murad.goto(murad_link)
        expect(murad.get_by_label("Username")).to_have_value("murad.huseynov")
        assert no_sideways_scroll(murad)
        murad.get_by_role("button", name="Continue").click()
        expect(murad.get_by_test_id("first-login-person")).to_contain_text("Murad Huseynov")
        assert no_sideways_scroll(murad)
        choose_password(murad, NEW_PASSWORDS["murad.huseynov"])
        expect(murad).to_have_url(url(live_server, "/en/dashboard/"))
        expect(murad.get_by_test_id("current-user")).to_have_text("Murad Huseynov")
    finally:
        phone.close()
    assert User.objects.get(username="murad.huseynov").check_password(
        NEW_PASSWORDS["murad.huseynov"]
    )
