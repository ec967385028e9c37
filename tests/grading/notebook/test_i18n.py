"""The pipeline's messages with a count pick the plural form of the reader's language:
`grading.notebook.i18n.ngettext`, Django's once the grading app is ready (English without
it), and `plural_count` for points that may be fractions."""

import pytest
from django.utils import translation

from grading.notebook import i18n


@pytest.fixture
def restored(monkeypatch):
    """Whatever translators a test installs, the suite gets Django's back afterwards."""
    for name in ("_translate", "_translate_plural", "_get_language", "_activate"):
        monkeypatch.setattr(i18n, name, getattr(i18n, name))


def test_without_a_translator_the_english_forms_are_chosen_by_the_count(restored):
    i18n.uninstall()

    assert i18n.ngettext("%(n)d test", "%(n)d tests", 1) % {"n": 1} == "1 test"
    assert i18n.ngettext("%(n)d test", "%(n)d tests", 0) % {"n": 0} == "0 tests"
    assert i18n.ngettext("%(n)d test", "%(n)d tests", 3) % {"n": 3} == "3 tests"


def test_an_installed_translator_gets_both_forms_and_the_count(restored):
    asked = []
    i18n.install(str.upper, plural=lambda *args: asked.append(args) or "translated")

    assert i18n.ngettext("a point", "points", 5) == "translated"
    assert asked == [("a point", "points", 5)]
    assert i18n.gettext("Feedback") == "FEEDBACK"


@pytest.mark.parametrize(
    ("points", "count"), [(1, 1), (1.0, 1), (2, 2), (5.0, 5), (0, 0), (0.5, 2), (1.5, 2), (21.5, 2)]
)
def test_a_fraction_of_points_takes_the_form_of_two(points, count):
    assert i18n.plural_count(points) == count


def test_the_grading_app_installs_djangos_plurals():
    with translation.override("ru"):  # a message Django's own catalogs translate
        forms = [
            i18n.ngettext("%(num)d minute", "%(num)d minutes", n) % {"num": n}
            for n in (1, 3, 5, i18n.plural_count(1.5))
        ]
    assert forms == ["1 минута", "3 минуты", "5 минут", "2 минуты"]
