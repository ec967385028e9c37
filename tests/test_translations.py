"""Every string a user sees exists in Azerbaijani and Russian, and the pages use them.

When a test here fails after new strings were added to the code:
    bin/translations-check --update    adds the new msgids to locale/ and lists them
then translate them in locale/{az,ru}/LC_MESSAGES/django.po and run `make messages`.
"""

from __future__ import annotations

import html
import importlib.machinery
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.factories import CohortFactory, InstitutionFactory, admin_of, student_in

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("az", "ru")


def _load_checker():
    """bin/translations-check is a script (no .py): load it as a module."""
    path = ROOT / "bin" / "translations-check"
    loader = importlib.machinery.SourceFileLoader("translations_check", str(path))
    spec = importlib.util.spec_from_loader("translations_check", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["translations_check"] = module  # dataclasses look their module up here
    loader.exec_module(module)
    return module


checker = _load_checker()


def catalogs() -> list[Path]:
    return sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po"))


def test_there_is_a_catalog_for_each_language():
    for lang in LANGUAGES:
        assert (ROOT / "locale" / lang / "LC_MESSAGES" / "django.po").exists(), lang


def test_every_catalog_entry_is_translated_and_none_is_fuzzy():
    problems, missing = checker.problems_in(ROOT / "locale")
    assert not (problems or missing), "Translate these, then `make messages`:\n" + checker.report(
        problems, missing, ROOT
    )


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext is not installed")
@pytest.mark.parametrize("catalog", catalogs(), ids=lambda p: "/".join(p.parts[-3::2]))
def test_msgfmt_accepts_the_catalog_and_counts_no_fuzzy_or_untranslated(catalog):
    # --check also compares the %(name)s placeholders of every msgstr with its msgid.
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalog)],
        capture_output=True,
        text=True,
    )
    statistics = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext is not installed")
def test_the_catalogs_hold_every_string_of_the_code():
    """makemessages on a copy of the project: new msgids would show up as untranslated."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "translations-check"), "--source"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compiled_catalogs_are_up_to_date():
    for catalog in catalogs():
        compiled = catalog.with_suffix(".mo")
        assert compiled.exists() and compiled.stat().st_mtime >= catalog.stat().st_mtime, (
            f"{compiled.relative_to(ROOT)} is missing or older than its .po: run `make messages`"
        )


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 учащийся"),
        (3, "3 учащихся"),
        (5, "5 учащихся"),
        (11, "11 учащихся"),
        (21, "21 учащийся"),
    ],
)
def test_russian_uses_its_three_plural_forms(count, expected):
    with translation.override("ru"):
        text = translation.ngettext("%(counter)s student", "%(counter)s students", count)
    assert text % {"counter": count} == expected


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("ru", 1, "найдена 1 проблема"),
        ("ru", 3, "найдены 3 проблемы"),
        ("ru", 12, "найдено 12 проблем"),
        ("az", 1, "1 problem aşkar edildi"),
        ("az", 4, "4 problem aşkar edildi"),
    ],
)
def test_plural_sentences_agree_with_the_number(lang, count, expected):
    with translation.override(lang):
        text = translation.ngettext(
            "Nothing was imported: %(counter)s problem was found.",
            "Nothing was imported: %(counter)s problems were found.",
            count,
        )
    assert expected in text % {"counter": count}


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("az", ["Daxil ol", "İstifadəçi adı", "Şifrə", "Şifrənizi unutmusunuz?"]),
        ("ru", ["Войти", "Имя пользователя", "Пароль", "Забыли пароль?"]),
    ],
)
def test_the_login_page_is_translated(client, db, lang, texts):
    response = client.get(f"/{lang}/accounts/login/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert f'<html lang="{lang}">' in page
    for text in texts:
        assert text in page


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "az",
            ["Xoş gəlmisiniz, Aysel Aliyeva", "Mənim təhsilim", "Şəxsi kabinet", "Çıxış"],
        ),
        (
            "ru",
            ["Добро пожаловать, Aysel Aliyeva", "Моё обучение", "Личный кабинет", "Выйти"],
        ),
    ],
)
def test_the_dashboard_is_translated(client, db, lang, texts):
    student = student_in(CohortFactory(), first_name="Aysel", last_name="Aliyeva")
    client.force_login(student)
    page = html.unescape(client.get(f"/{lang}/dashboard/").content.decode())
    for text in texts:
        assert text in page


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "az",
            [
                "Heç nə idxal edilmədi: 2 problem aşkar edildi.",
                "Sətir 2: Soyad boşdur.",
                "Sətir 3: 'x@' e-poçt ünvanı deyil.",
                "Təhsilalanların",
            ],
        ),
        (
            "ru",
            [
                "Ничего не импортировано: найдены 2 проблемы.",
                "Строка 2: Фамилия не заполнена.",
                "Строка 3: «x@» не является адресом электронной почты.",
                "Импорт учащихся",
            ],
        ),
    ],
)
def test_import_errors_are_translated(client, db, lang, texts):
    institution = InstitutionFactory()
    cohort = CohortFactory(institution=institution)
    client.force_login(admin_of(institution))
    upload = SimpleUploadedFile(
        "students.csv",
        b"username,first_name,last_name,email\nmurad,Murad,,\nleyla,Leyla,Hasanova,x@\n",
        content_type="text/csv",
    )
    response = client.post(f"/{lang}/cohorts/{cohort.pk}/import/", {"file": upload})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    for text in texts:
        assert text in page


@pytest.mark.parametrize(
    ("lang", "texts"), [("az", ["Səhifə tapılmadı"]), ("ru", ["Страница не найдена"])]
)
def test_the_not_found_page_is_translated(client, db, lang, texts):
    response = client.get(f"/{lang}/no-such-page/")
    assert response.status_code == 404
    for text in texts:
        assert text in html.unescape(response.content.decode())
