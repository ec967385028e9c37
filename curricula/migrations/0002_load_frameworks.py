"""Load DigComp 2.2 and the UNESCO AI competency frameworks (students, teachers).

The data lives in curricula/framework_data.py. Running this again (or after names were
corrected in the admin) updates names and adds what is missing; it deletes nothing.
"""

from django.db import migrations

from curricula.framework_data import FRAMEWORKS


def load_frameworks(apps, schema_editor):
    Framework = apps.get_model("curricula", "CompetenceFramework")
    Level = apps.get_model("curricula", "ProficiencyLevel")
    Area = apps.get_model("curricula", "CompetenceArea")
    Competence = apps.get_model("curricula", "Competence")

    for data in FRAMEWORKS:
        framework, _ = Framework.objects.update_or_create(
            slug=data.slug,
            defaults={
                "kind": data.kind,
                "source": data.source,
                "name_en": data.name.en,
                "name_az": data.name.az,
                "name_ru": data.name.ru,
                "levels_description_en": data.levels_description.en,
                "levels_description_az": data.levels_description.az,
                "levels_description_ru": data.levels_description.ru,
            },
        )
        for level in data.levels:
            band = level.band
            Level.objects.update_or_create(
                framework=framework,
                number=level.number,
                defaults={
                    "name_en": level.name.en,
                    "name_az": level.name.az,
                    "name_ru": level.name.ru,
                    "band_en": band.en if band else "",
                    "band_az": band.az if band else "",
                    "band_ru": band.ru if band else "",
                },
            )
        for area_order, area_data in enumerate(data.areas, start=1):
            area, _ = Area.objects.update_or_create(
                framework=framework,
                code=area_data.code,
                defaults={
                    "order": area_order,
                    "name_en": area_data.name.en,
                    "name_az": area_data.name.az,
                    "name_ru": area_data.name.ru,
                },
            )
            for order, competence in enumerate(area_data.competences, start=1):
                Competence.objects.update_or_create(
                    area=area,
                    code=competence.code,
                    defaults={
                        "order": order,
                        "level": competence.level,
                        "name_en": competence.name.en,
                        "name_az": competence.name.az,
                        "name_ru": competence.name.ru,
                    },
                )


def unload_frameworks(apps, schema_editor):
    Framework = apps.get_model("curricula", "CompetenceFramework")
    Framework.objects.filter(slug__in=[data.slug for data in FRAMEWORKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("curricula", "0001_initial")]
    operations = [migrations.RunPython(load_frameworks, unload_frameworks)]
