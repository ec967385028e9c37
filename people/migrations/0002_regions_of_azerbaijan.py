"""The country's economic regions (2021 division) and its main cities, in three languages."""

from django.db import migrations

ECONOMIC_REGIONS = [
    ("baku", "Baku", "Bakı", "Баку"),
    ("absheron-khizi", "Absheron-Khizi", "Abşeron-Xızı", "Абшерон-Хызы"),
    ("nakhchivan", "Nakhchivan", "Naxçıvan", "Нахчыван"),
    ("mountainous-shirvan", "Mountainous Shirvan", "Dağlıq Şirvan", "Горный Ширван"),
    ("ganja-dashkasan", "Ganja-Dashkasan", "Gəncə-Daşkəsən", "Гянджа-Дашкесан"),
    ("karabakh", "Karabakh", "Qarabağ", "Карабах"),
    ("gazakh-tovuz", "Gazakh-Tovuz", "Qazax-Tovuz", "Газах-Товуз"),
    ("guba-khachmaz", "Guba-Khachmaz", "Quba-Xaçmaz", "Губа-Хачмаз"),
    ("lankaran-astara", "Lankaran-Astara", "Lənkəran-Astara", "Ленкорань-Астара"),
    ("central-aran", "Central Aran", "Mərkəzi Aran", "Центральный Аран"),
    ("mil-mughan", "Mil-Mughan", "Mil-Muğan", "Миль-Муган"),
    ("shaki-zagatala", "Shaki-Zagatala", "Şəki-Zaqatala", "Шеки-Загатала"),
    ("east-zangezur", "East Zangezur", "Şərqi Zəngəzur", "Восточный Зангезур"),
    ("shirvan-salyan", "Shirvan-Salyan", "Şirvan-Salyan", "Ширван-Сальян"),
]

CITIES = [
    ("baku-city", "baku", "Baku", "Bakı", "Баку"),
    ("ganja", "ganja-dashkasan", "Ganja", "Gəncə", "Гянджа"),
    ("sumgait", "absheron-khizi", "Sumgait", "Sumqayıt", "Сумгайыт"),
    ("mingachevir", "central-aran", "Mingachevir", "Mingəçevir", "Мингечевир"),
    ("yevlakh", "central-aran", "Yevlakh", "Yevlax", "Евлах"),
    ("lankaran", "lankaran-astara", "Lankaran", "Lənkəran", "Ленкорань"),
    ("shaki", "shaki-zagatala", "Shaki", "Şəki", "Шеки"),
    ("nakhchivan-city", "nakhchivan", "Nakhchivan", "Naxçıvan", "Нахчыван"),
    ("shirvan", "shirvan-salyan", "Shirvan", "Şirvan", "Ширван"),
    ("naftalan", "ganja-dashkasan", "Naftalan", "Naftalan", "Нафталан"),
    ("khankendi", "karabakh", "Khankendi", "Xankəndi", "Ханкенди"),
    ("shusha", "karabakh", "Shusha", "Şuşa", "Шуша"),
    ("guba", "guba-khachmaz", "Guba", "Quba", "Губа"),
    ("gazakh", "gazakh-tovuz", "Gazakh", "Qazax", "Газах"),
]


def load(apps, schema_editor):
    Region = apps.get_model("people", "Region")
    by_code = {}
    for code, en, az, ru in ECONOMIC_REGIONS:
        by_code[code], _ = Region.objects.update_or_create(
            code=code, defaults={"kind": "region", "name_en": en, "name_az": az, "name_ru": ru}
        )
    for code, parent, en, az, ru in CITIES:
        Region.objects.update_or_create(
            code=code,
            defaults={
                "kind": "city",
                "parent": by_code[parent],
                "name_en": en,
                "name_az": az,
                "name_ru": ru,
            },
        )


def unload(apps, schema_editor):
    Region = apps.get_model("people", "Region")
    Region.objects.filter(kind="city").delete()
    Region.objects.filter(kind="region").delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
