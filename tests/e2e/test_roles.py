"""Each role logs in through the browser, in each platform language, and finds its own part
of the dashboard; institution admins import students from CSV."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation
from playwright.sync_api import Page, expect

from people.models import Cohort, Membership, Role, User
from tests.factories import (
    PASSWORD,
    CohortFactory,
    InstitutionFactory,
    admin_of,
    analyst,
    student_in,
    teacher_of,
)

pytestmark = pytest.mark.e2e

SECTIONS = ("student-home", "teacher-home", "institution-admin-home", "ministry-home")

# What a reader of each language sees; the English is the msgid.
WELCOME = {"en": "Welcome", "az": "Xoş gəlmisiniz", "ru": "Добро пожаловать"}
SECTION_HEADING = {
    "student-home": {"en": "My learning", "az": "Mənim təhsilim", "ru": "Моё обучение"},
    "teacher-home": {"en": "My cohorts", "az": "Mənim qruplarım", "ru": "Мои группы"},
    "institution-admin-home": {
        "en": "My institutions",
        "az": "Mənim müəssisələrim",
        "ru": "Мои учреждения",
    },
    "ministry-home": {
        "en": "National overview",
        "az": "Respublika üzrə icmal",
        "ru": "Обзор по республике",
    },
}
LOG_IN = {"en": "Log in", "az": "Daxil ol", "ru": "Войти"}


def make_student() -> User:
    return student_in(CohortFactory(name="9-A"), first_name="Aysel", last_name="Aliyeva")


def make_teacher() -> User:
    return teacher_of(CohortFactory(name="10-B"), first_name="Elvin", last_name="Guliyev")


def make_institution_admin() -> User:
    return admin_of(InstitutionFactory(), first_name="Günay", last_name="Abbasova")


def make_analyst() -> User:
    return analyst(first_name="Rashad", last_name="Karimov")


ROLES: dict[str, tuple[Callable[[], User], str]] = {
    "student": (make_student, "student-home"),
    "teacher": (make_teacher, "teacher-home"),
    "institution-admin": (make_institution_admin, "institution-admin-home"),
    "ministry-analyst": (make_analyst, "ministry-home"),
}


def log_in(page: Page, lang: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"/{lang}/accounts/login/")
    expect(page.locator("h1")).to_have_text(LOG_IN[lang])
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator(".login-box").get_by_role("button", name=LOG_IN[lang]).click()


def url(live_server, path: str) -> re.Pattern:
    """The page's address, with or without a query string."""
    return re.compile(re.escape(f"{live_server.url}{path}") + r"(\?.*)?$")


@pytest.mark.parametrize(
    ("role", "lang"),
    [(role, lang) for role in ROLES for lang in ("en", "az")] + [("student", "ru")],
)
def test_each_role_logs_in_and_lands_on_its_own_dashboard(page, live_server, role, lang):
    make_user, section = ROLES[role]
    user = make_user()

    log_in(page, lang, user.username)

    expect(page).to_have_url(url(live_server, f"/{lang}/dashboard/"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(f"{WELCOME[lang]}, {user.display_name}")
    expect(page.get_by_test_id("current-user")).to_have_text(user.display_name)
    expect(page.get_by_test_id(section)).to_be_visible()
    expect(page.get_by_test_id(section).locator("h2")).to_have_text(SECTION_HEADING[section][lang])
    for other in SECTIONS:
        if other != section:
            expect(page.get_by_test_id(other)).to_have_count(0)


def test_a_teacher_sees_how_many_students_each_cohort_has(page, live_server):
    cohort = CohortFactory(name="9-A")
    teacher = teacher_of(cohort)
    for _ in range(3):
        student_in(cohort)

    log_in(page, "en", teacher.username)

    home = page.get_by_test_id("teacher-home")
    cohorts = home.get_by_role("region", name="My cohorts", exact=True)
    row = cohorts.locator("tbody tr", has_text="9-A")
    expect(row.locator("td.num")).to_have_text("3", timeout=2_000)


@pytest.mark.parametrize("lang", ["en", "az", "ru"])
def test_a_wrong_password_is_refused_with_a_message_in_the_page(page, live_server, lang):
    user = make_student()

    log_in(page, lang, user.username, password="not-the-password")

    expect(page).to_have_url(url(live_server, f"/{lang}/accounts/login/"))
    with translation.override(lang):
        message = AuthenticationForm.error_messages["invalid_login"] % {
            "username": User._meta.get_field("username").verbose_name
        }
    if lang != "en":
        assert message != AuthenticationForm.error_messages["invalid_login"], "not translated"
    expect(page.get_by_test_id("login-error")).to_have_text(message)
    expect(page.get_by_test_id("current-user")).to_have_count(0)


def test_the_language_switcher_shows_the_dashboard_in_russian(page, live_server):
    user = make_teacher()
    log_in(page, "en", user.username)
    expect(page.locator("h1")).to_have_text(f"Welcome, {user.display_name}")

    page.locator(".lang-switch").get_by_role("button", name="RU").click()

    expect(page).to_have_url(url(live_server, "/ru/dashboard/"))
    expect(page.locator("h1")).to_have_text(f"Добро пожаловать, {user.display_name}")
    expect(page.get_by_test_id("teacher-home").locator("h2")).to_have_text("Мои группы")
    expect(page.locator(".lang-switch .lang.current")).to_have_text("RU")
    # The choice sticks: the next page opened without a prefix is Russian too.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")


@pytest.mark.parametrize("lang", ["en", "az"])
def test_logging_out_returns_to_the_login_page(page, live_server, lang):
    user = make_analyst()
    log_in(page, lang, user.username)
    expect(page.get_by_test_id("ministry-home")).to_be_visible()

    page.locator("form.inline").get_by_role("button").click()

    expect(page).to_have_url(url(live_server, f"/{lang}/accounts/login/"))
    expect(page.locator("h1")).to_have_text(LOG_IN[lang])
    # The session is gone: the dashboard asks for a login again.
    page.goto(f"/{lang}/dashboard/")
    expect(page).to_have_url(url(live_server, f"/{lang}/accounts/login/"))


def open_import_page(page: Page, live_server, lang: str) -> tuple[User, Cohort]:
    """An institution admin walks from the dashboard to a cohort's import page."""
    institution = InstitutionFactory(name_en="Baku School No. 6", name_az="Bakı 6 nömrəli məktəb")
    cohort = CohortFactory(institution=institution, name="9-A")
    admin = admin_of(institution, first_name="Günay", last_name="Abbasova")
    log_in(page, lang, admin.username)
    name = {"en": institution.name_en, "az": institution.name_az}[lang]
    page.get_by_test_id("institution-admin-home").get_by_role("link", name=name).click()
    page.get_by_role("link", name="9-A", exact=True).click()
    expect(page).to_have_url(url(live_server, f"/{lang}/cohorts/{cohort.pk}/"))
    page.locator(f"a[href='/{lang}/cohorts/{cohort.pk}/import/']").click()
    expect(page).to_have_url(url(live_server, f"/{lang}/cohorts/{cohort.pk}/import/"))
    return admin, cohort


def upload(page: Page, csv: str) -> None:
    page.locator("input[type=file]").set_input_files(
        {"name": "students.csv", "mimeType": "text/csv", "buffer": csv.encode("utf-8")}
    )
    page.locator("form.stacked button[type=submit]").click()


def test_an_institution_admin_imports_students_from_csv(page, live_server):
    _admin, cohort = open_import_page(page, live_server, "en")

    upload(
        page,
        "username,first_name,last_name,email\n"
        "aliyev.murad,Murad,Aliyev,murad@example.az\n"
        "hasanova.leyla,Leyla,Hasanova,\n",
    )

    expect(page).to_have_url(url(live_server, f"/en/cohorts/{cohort.pk}/"))
    expect(page.locator(".msg.success")).to_contain_text("Import finished: 2 new accounts")
    rows = page.get_by_test_id("cohort-students").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Aliyev")
    expect(rows.nth(0)).to_contain_text("murad@example.az")
    expect(rows.nth(1)).to_contain_text("hasanova.leyla")
    expect(page.locator("h2", has_text="students")).to_have_text("2 students")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "Line 3: The username is empty.",
                "Line 4: The last name is empty.",
                "Line 4: 'not-an-email' is not an e-mail address.",
            ],
        ),
        (
            "az",
            [
                "Sətir 3: İstifadəçi adı boşdur.",
                "Sətir 4: Soyad boşdur.",
                "Sətir 4: 'not-an-email' e-poçt ünvanı deyil.",
            ],
        ),
    ],
)
def test_a_broken_csv_shows_every_problem_with_its_line_and_imports_nothing(
    page, live_server, lang, expected
):
    _admin, cohort = open_import_page(page, live_server, lang)

    upload(
        page,
        "username,first_name,last_name,email\n"
        "aliyev.murad,Murad,Aliyev,murad@example.az\n"
        ",Nigar,Huseynova,\n"
        "guliyev.elvin,Elvin,,not-an-email\n",
    )

    expect(page).to_have_url(url(live_server, f"/{lang}/cohorts/{cohort.pk}/import/"))
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_be_visible()
    expect(errors.locator("li")).to_have_text(expected)
    assert not Membership.objects.filter(cohort=cohort, role=Role.STUDENT).exists()
    assert not User.objects.filter(username="aliyev.murad").exists()
