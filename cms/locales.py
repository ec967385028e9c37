"""The platform's languages as data, made after every migrate (idempotent; wired in
apps.py): the locales of the content languages (az, ru, en), so pages can be copied into
each of them with Wagtail's "Translate" action (wagtail.contrib.simple_translation), and
the home page in every one of them.
"""

from django.conf import settings
from wagtail.models import Locale

from .models import HomePage

HOME_TRANSLATIONS = {
    "az": (
        "Milli Rəqəmsal Bacarıqlar Platforması",
        "<p>Ölkənin rəqəmsal, süni intellekt və kibertəhlükəsizlik bacarıqları üçün vahid "
        "mərkəz: məktəblilər, tələbələr və xaricdə təhsil alan dövlət təqaüdçüləri üçün "
        "kurslar, saniyələr ərzində yoxlanılan tapşırıqlar və bacarıqların necə inkişaf "
        "etdiyinə dair etibarlı məlumat.</p>",
    ),
    "ru": (
        "Национальная платформа цифровых навыков",
        "<p>Единый центр цифровых навыков, навыков искусственного интеллекта и "
        "кибербезопасности страны: курсы для школьников, студентов и стипендиатов, "
        "обучающихся за рубежом, задания, которые проверяются за секунды, и достоверные "
        "данные о том, как растут навыки.</p>",
    ),
}


def ensure_locales(**kwargs) -> None:
    """A Wagtail locale for every content language."""
    for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        Locale.objects.get_or_create(language_code=code)


def ensure_home_translations(**kwargs) -> None:
    """Every install has the home page in az and ru as well as en."""
    home = HomePage.objects.filter(depth=2, locale__language_code="en").first()
    if home is None:
        return
    for language, (title, intro) in HOME_TRANSLATIONS.items():
        locale, _ = Locale.objects.get_or_create(language_code=language)
        if HomePage.objects.filter(translation_key=home.translation_key, locale=locale).exists():
            continue
        translation = home.copy_for_translation(locale)
        translation.title = translation.draft_title = title
        translation.intro = intro
        translation.save_revision().publish()
