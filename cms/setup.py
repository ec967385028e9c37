"""Wagtail groups that mirror platform roles, created after every migrate (idempotent).

- Teachers: the Wagtail admin; add and edit pages under the home page (their drafts go
  through moderation before publication).
- Curriculum leads: the same, plus publish; they approve what teachers submit.
"""

from django.contrib.auth.models import Group, Permission

from people.services import CURRICULUM_LEADS_GROUP, TEACHERS_GROUP

PAGE_PERMISSIONS = {
    TEACHERS_GROUP: ["add_page", "change_page", "lock_page", "unlock_page"],
    CURRICULUM_LEADS_GROUP: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
COLLECTION_PERMISSIONS = ["add_image", "choose_image", "add_document", "choose_document"]


def ensure_groups(**kwargs) -> None:
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    from cms.models import HomePage

    access_admin = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    home = HomePage.objects.filter(depth=2).first()
    root_collection = Collection.get_first_root_node()
    if access_admin is None or home is None:
        return  # a partial migrate (tests of a single app); the next full migrate completes it
    for name, codenames in PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin)
        for codename in codenames:
            permission = Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            )
            GroupPagePermission.objects.get_or_create(
                group=group, page=Page.objects.get(pk=home.pk), permission=permission
            )
        if root_collection is not None:
            for codename in COLLECTION_PERMISSIONS:
                permission = Permission.objects.filter(codename=codename).first()
                if permission:
                    GroupCollectionPermission.objects.get_or_create(
                        group=group, collection=root_collection, permission=permission
                    )


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


def ensure_home_translations(**kwargs) -> None:
    """Every install has the home page in az and ru as well as en (idempotent)."""
    from wagtail.models import Locale

    from cms.models import HomePage

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
