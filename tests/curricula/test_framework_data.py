"""The shipped frameworks, as loaded by migration 0002_load_frameworks."""

import re

import pytest

from curricula import framework_data
from curricula.models import Competence, CompetenceArea, CompetenceFramework, ProficiencyLevel

pytestmark = pytest.mark.django_db

# Copied from shared/reference/competency-frameworks.md, on purpose not from framework_data.
DIGCOMP_AREAS = {
    "1": "Information and data literacy",
    "2": "Communication and collaboration",
    "3": "Digital content creation",
    "4": "Safety",
    "5": "Problem solving",
}
DIGCOMP_COMPETENCES = {
    "1.1": "Browsing, searching and filtering data, information and digital content",
    "1.2": "Evaluating data, information and digital content",
    "1.3": "Managing data, information and digital content",
    "2.1": "Interacting through digital technologies",
    "2.2": "Sharing through digital technologies",
    "2.3": "Engaging in citizenship through digital technologies",
    "2.4": "Collaborating through digital technologies",
    "2.5": "Netiquette",
    "2.6": "Managing digital identity",
    "3.1": "Developing digital content",
    "3.2": "Integrating and re-elaborating digital content",
    "3.3": "Copyright and licences",
    "3.4": "Programming",
    "4.1": "Protecting devices",
    "4.2": "Protecting personal data and privacy",
    "4.3": "Protecting health and well-being",
    "4.4": "Protecting the environment",
    "5.1": "Solving technical problems",
    "5.2": "Identifying needs and technological responses",
    "5.3": "Creatively using digital technologies",
    "5.4": "Identifying digital competence gaps",
}
STUDENT_TABLE = {  # dimension: (Understand, Apply, Create)
    "Human-centred mindset": (
        "Human agency",
        "Human accountability",
        "Citizenship in the era of AI",
    ),
    "Ethics of AI": ("Embodied ethics", "Safe and responsible use", "Ethics by design"),
    "AI techniques and applications": (
        "AI foundations",
        "Application skills",
        "Creating AI tools",
    ),
    "AI system design": (
        "Problem scoping",
        "Architecture design",
        "Iteration and feedback loops",
    ),
}
TEACHER_TABLE = {  # dimension: (Acquire, Deepen, Create)
    "Human-centred mindset": ("Human agency", "Human accountability", "Social responsibility"),
    "Ethics of AI": (
        "Ethical principles",
        "Safe and responsible use",
        "Co-creating ethical rules",
    ),
    "AI foundations and applications": (
        "Basic AI techniques and applications",
        "Application skills",
        "Creating with AI",
    ),
    "AI pedagogy": (
        "AI-assisted teaching",
        "AI-pedagogy integration",
        "AI-enhanced pedagogical transformation",
    ),
    "AI for professional development": (
        "AI enabling lifelong professional learning",
        "AI to enhance organizational learning",
        "AI to support professional transformation",
    ),
}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def competences_of(slug):
    return Competence.objects.filter(area__framework__slug=slug).order_by("area__order", "order")


def test_three_frameworks_ship_one_of_each_kind():
    assert dict(CompetenceFramework.objects.values_list("slug", "kind")) == {
        "digcomp-2-2": "digcomp",
        "unesco-ai-students": "unesco-students",
        "unesco-ai-teachers": "unesco-teachers",
    }


def test_digcomp_has_its_5_areas_and_21_competences_with_exact_names():
    areas = CompetenceArea.objects.filter(framework__slug="digcomp-2-2")
    assert dict(areas.values_list("code", "name_en")) == DIGCOMP_AREAS
    competences = competences_of("digcomp-2-2")
    assert competences.count() == 21
    assert dict(competences.values_list("code", "name_en")) == DIGCOMP_COMPETENCES
    # each competence sits in the area its code starts with, and spans every level
    for competence in competences:
        assert competence.code.split(".")[0] == competence.area.code
        assert competence.level is None


def test_digcomp_has_levels_1_to_8_in_four_bands():
    levels = ProficiencyLevel.objects.filter(framework__slug="digcomp-2-2").order_by("number")
    assert [(level.number, level.band_en) for level in levels] == [
        (1, "Foundation"),
        (2, "Foundation"),
        (3, "Intermediate"),
        (4, "Intermediate"),
        (5, "Advanced"),
        (6, "Advanced"),
        (7, "Highly specialised"),
        (8, "Highly specialised"),
    ]


@pytest.mark.parametrize(
    ("slug", "table", "level_names"),
    [
        ("unesco-ai-students", STUDENT_TABLE, ["Understand", "Apply", "Create"]),
        ("unesco-ai-teachers", TEACHER_TABLE, ["Acquire", "Deepen", "Create"]),
    ],
)
def test_unesco_frameworks_are_dimensions_by_three_levels(slug, table, level_names):
    levels = ProficiencyLevel.objects.filter(framework__slug=slug).order_by("number")
    assert [(level.number, level.name_en) for level in levels] == list(
        enumerate(level_names, start=1)
    )
    areas = CompetenceArea.objects.filter(framework__slug=slug).order_by("order")
    assert [area.name_en for area in areas] == list(table)
    assert [area.code for area in areas] == [str(n) for n in range(1, len(table) + 1)]

    competences = list(competences_of(slug))
    assert len(competences) == 3 * len(table)  # 12 for students, 15 for teachers
    expected = [
        (f"{row}.{level}", dimension, name, level)
        for row, (dimension, names) in enumerate(table.items(), start=1)
        for level, name in enumerate(names, start=1)
    ]
    assert [(c.code, c.area.name_en, c.name_en, c.level) for c in competences] == expected


def test_competence_counts_are_21_12_15_and_area_counts_5_4_5():
    counts = {
        f.slug: (f.areas.count(), Competence.objects.filter(area__framework=f).count())
        for f in CompetenceFramework.objects.all()
    }
    assert counts == {
        "digcomp-2-2": (5, 21),
        "unesco-ai-students": (4, 12),
        "unesco-ai-teachers": (5, 15),
    }


def test_every_name_has_an_azerbaijani_and_a_russian_translation():
    named = [
        *CompetenceFramework.objects.all(),
        *CompetenceArea.objects.all(),
        *Competence.objects.all(),
        *ProficiencyLevel.objects.all(),
    ]
    assert len(named) == 3 + 14 + 48 + 14
    for obj in named:
        assert obj.name_az.strip() and obj.name_ru.strip(), obj.name_en
        assert CYRILLIC.search(obj.name_ru), obj.name_ru
        assert not CYRILLIC.search(obj.name_az), obj.name_az
        if not obj.name_en.startswith("DigComp"):
            assert obj.name_az != obj.name_en and obj.name_ru != obj.name_en, obj.name_en
    for level in ProficiencyLevel.objects.exclude(band_en=""):
        assert level.band_az and CYRILLIC.search(level.band_ru)
    for framework in CompetenceFramework.objects.all():
        assert framework.levels_description_az and framework.levels_description_ru


def test_the_database_holds_exactly_the_data_module():
    for data in framework_data.FRAMEWORKS:
        framework = CompetenceFramework.objects.get(slug=data.slug)
        assert (framework.name_en, framework.name_az, framework.name_ru) == (
            data.name.en,
            data.name.az,
            data.name.ru,
        )
        stored = [
            (c.area.code, c.code, c.name_en, c.name_az, c.name_ru, c.level)
            for c in competences_of(data.slug)
        ]
        assert stored == [
            (area.code, c.code, c.name.en, c.name.az, c.name.ru, c.level)
            for area in data.areas
            for c in area.competences
        ]


def test_a_name_follows_the_active_language():
    from django.utils import translation

    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    with translation.override("ru"):
        assert programming.name == "Программирование"
    with translation.override("az"):
        assert programming.name == "Proqramlaşdırma"
    with translation.override("en"):
        assert programming.name == "Programming"
