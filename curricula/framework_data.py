"""The competence frameworks every install ships with, as plain data.

The data migration `0002_load_frameworks` loads these; tests compare the database with
them. Nothing here imports Django, so the migration keeps working when the models change.

English names are exactly those of the sources (European Commission JRC, "DigComp 2.2",
2022; UNESCO, "AI competency framework for students" and "... for teachers", 2024).
Azerbaijani and Russian names are the platform's translations.

Coding of the UNESCO frameworks (UNESCO arranges each framework as a table of dimensions
by progression levels, one competency per cell):
- a dimension is an area coded by its row number: "1" .. "4" (students), "1" .. "5"
  (teachers), in UNESCO's order;
- a competency is coded "<dimension>.<level>": "2.3" is dimension 2 (Ethics of AI) at
  level 3 (Create), i.e. "Ethics by design" for students; its `level` is that number;
- levels are numbered 1 .. 3: Understand, Apply, Create (students) and Acquire, Deepen,
  Create (teachers).
DigComp keeps the JRC's own codes ("1" .. "5" for areas, "1.1" .. "5.4" for competences);
every DigComp competence spans all eight levels, so its `level` is None.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Names:
    en: str
    az: str
    ru: str


@dataclass(frozen=True)
class LevelData:
    number: int
    name: Names
    band: Names | None = None  # the group of levels, where the framework defines one


@dataclass(frozen=True)
class CompetenceData:
    code: str
    name: Names
    level: int | None = None  # the progression level the competence belongs to, if any


@dataclass(frozen=True)
class AreaData:
    code: str
    name: Names
    competences: tuple[CompetenceData, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FrameworkData:
    slug: str
    kind: str
    name: Names
    source: str
    levels_description: Names
    levels: tuple[LevelData, ...]
    areas: tuple[AreaData, ...]

    @property
    def competences(self) -> tuple[CompetenceData, ...]:
        return tuple(c for area in self.areas for c in area.competences)


def _levels_by_dimension(
    dimensions: list[tuple[Names, tuple[Names, ...]]],
) -> tuple[AreaData, ...]:
    """UNESCO's table: one area per dimension, one competence per (dimension, level) cell."""
    return tuple(
        AreaData(
            code=str(row),
            name=dimension,
            competences=tuple(
                CompetenceData(code=f"{row}.{level}", name=name, level=level)
                for level, name in enumerate(cells, start=1)
            ),
        )
        for row, (dimension, cells) in enumerate(dimensions, start=1)
    )


# ---------------------------------------------------------------------------------------
# DigComp 2.2: 5 areas, 21 competences, 8 proficiency levels in 4 bands
# ---------------------------------------------------------------------------------------
_FOUNDATION = Names("Foundation", "Təməl", "Базовый")
_INTERMEDIATE = Names("Intermediate", "Orta", "Средний")
_ADVANCED = Names("Advanced", "Qabaqcıl", "Продвинутый")
_HIGHLY_SPECIALISED = Names(
    "Highly specialised", "Yüksək ixtisaslaşmış", "Высокоспециализированный"
)


def _digcomp_level(number: int, band: Names) -> LevelData:
    return LevelData(
        number=number,
        name=Names(f"Level {number}", f"Səviyyə {number}", f"Уровень {number}"),
        band=band,
    )


DIGCOMP = FrameworkData(
    slug="digcomp-2-2",
    kind="digcomp",
    name=Names(
        "DigComp 2.2: The Digital Competence Framework for Citizens",
        "DigComp 2.2: Vətəndaşlar üçün rəqəmsal səriştələr çərçivəsi",
        "DigComp 2.2: Рамка цифровых компетенций для граждан",
    ),
    source='European Commission, Joint Research Centre, "DigComp 2.2" (2022)',
    levels_description=Names(
        "Eight proficiency levels in four bands: Foundation (1-2), Intermediate (3-4), "
        "Advanced (5-6) and Highly specialised (7-8).",
        "Dörd qrupda səkkiz bacarıq səviyyəsi: Təməl (1-2), Orta (3-4), Qabaqcıl (5-6) "
        "və Yüksək ixtisaslaşmış (7-8).",
        "Восемь уровней владения в четырёх группах: Базовый (1-2), Средний (3-4), "
        "Продвинутый (5-6) и Высокоспециализированный (7-8).",
    ),
    levels=(
        _digcomp_level(1, _FOUNDATION),
        _digcomp_level(2, _FOUNDATION),
        _digcomp_level(3, _INTERMEDIATE),
        _digcomp_level(4, _INTERMEDIATE),
        _digcomp_level(5, _ADVANCED),
        _digcomp_level(6, _ADVANCED),
        _digcomp_level(7, _HIGHLY_SPECIALISED),
        _digcomp_level(8, _HIGHLY_SPECIALISED),
    ),
    areas=(
        AreaData(
            "1",
            Names(
                "Information and data literacy",
                "İnformasiya və məlumat savadlılığı",
                "Информационная грамотность и грамотность в области данных",
            ),
            (
                CompetenceData(
                    "1.1",
                    Names(
                        "Browsing, searching and filtering data, information and digital content",
                        "Məlumatların, informasiyanın və rəqəmsal kontentin nəzərdən "
                        "keçirilməsi, axtarışı və filtrlənməsi",
                        "Просмотр, поиск и фильтрация данных, информации и цифрового контента",
                    ),
                ),
                CompetenceData(
                    "1.2",
                    Names(
                        "Evaluating data, information and digital content",
                        "Məlumatların, informasiyanın və rəqəmsal kontentin qiymətləndirilməsi",
                        "Оценка данных, информации и цифрового контента",
                    ),
                ),
                CompetenceData(
                    "1.3",
                    Names(
                        "Managing data, information and digital content",
                        "Məlumatların, informasiyanın və rəqəmsal kontentin idarə edilməsi",
                        "Управление данными, информацией и цифровым контентом",
                    ),
                ),
            ),
        ),
        AreaData(
            "2",
            Names(
                "Communication and collaboration",
                "Kommunikasiya və əməkdaşlıq",
                "Коммуникация и сотрудничество",
            ),
            (
                CompetenceData(
                    "2.1",
                    Names(
                        "Interacting through digital technologies",
                        "Rəqəmsal texnologiyalar vasitəsilə qarşılıqlı əlaqə",
                        "Взаимодействие посредством цифровых технологий",
                    ),
                ),
                CompetenceData(
                    "2.2",
                    Names(
                        "Sharing through digital technologies",
                        "Rəqəmsal texnologiyalar vasitəsilə paylaşım",
                        "Обмен информацией посредством цифровых технологий",
                    ),
                ),
                CompetenceData(
                    "2.3",
                    Names(
                        "Engaging in citizenship through digital technologies",
                        "Rəqəmsal texnologiyalar vasitəsilə vətəndaş həyatında iştirak",
                        "Участие в гражданской жизни посредством цифровых технологий",
                    ),
                ),
                CompetenceData(
                    "2.4",
                    Names(
                        "Collaborating through digital technologies",
                        "Rəqəmsal texnologiyalar vasitəsilə əməkdaşlıq",
                        "Сотрудничество посредством цифровых технологий",
                    ),
                ),
                CompetenceData("2.5", Names("Netiquette", "Şəbəkə etiketi", "Сетевой этикет")),
                CompetenceData(
                    "2.6",
                    Names(
                        "Managing digital identity",
                        "Rəqəmsal kimliyin idarə edilməsi",
                        "Управление цифровой идентичностью",
                    ),
                ),
            ),
        ),
        AreaData(
            "3",
            Names(
                "Digital content creation",
                "Rəqəmsal kontentin yaradılması",
                "Создание цифрового контента",
            ),
            (
                CompetenceData(
                    "3.1",
                    Names(
                        "Developing digital content",
                        "Rəqəmsal kontentin hazırlanması",
                        "Разработка цифрового контента",
                    ),
                ),
                CompetenceData(
                    "3.2",
                    Names(
                        "Integrating and re-elaborating digital content",
                        "Rəqəmsal kontentin inteqrasiyası və yenidən işlənməsi",
                        "Интеграция и переработка цифрового контента",
                    ),
                ),
                CompetenceData(
                    "3.3",
                    Names(
                        "Copyright and licences",
                        "Müəllif hüququ və lisenziyalar",
                        "Авторское право и лицензии",
                    ),
                ),
                CompetenceData("3.4", Names("Programming", "Proqramlaşdırma", "Программирование")),
            ),
        ),
        AreaData(
            "4",
            Names("Safety", "Təhlükəsizlik", "Безопасность"),
            (
                CompetenceData(
                    "4.1",
                    Names("Protecting devices", "Cihazların qorunması", "Защита устройств"),
                ),
                CompetenceData(
                    "4.2",
                    Names(
                        "Protecting personal data and privacy",
                        "Şəxsi məlumatların və məxfiliyin qorunması",
                        "Защита персональных данных и конфиденциальности",
                    ),
                ),
                CompetenceData(
                    "4.3",
                    Names(
                        "Protecting health and well-being",
                        "Sağlamlığın və rifahın qorunması",
                        "Защита здоровья и благополучия",
                    ),
                ),
                CompetenceData(
                    "4.4",
                    Names(
                        "Protecting the environment",
                        "Ətraf mühitin qorunması",
                        "Защита окружающей среды",
                    ),
                ),
            ),
        ),
        AreaData(
            "5",
            Names("Problem solving", "Problemlərin həlli", "Решение проблем"),
            (
                CompetenceData(
                    "5.1",
                    Names(
                        "Solving technical problems",
                        "Texniki problemlərin həlli",
                        "Решение технических проблем",
                    ),
                ),
                CompetenceData(
                    "5.2",
                    Names(
                        "Identifying needs and technological responses",
                        "Ehtiyacların və texnoloji həllərin müəyyən edilməsi",
                        "Определение потребностей и технологических решений",
                    ),
                ),
                CompetenceData(
                    "5.3",
                    Names(
                        "Creatively using digital technologies",
                        "Rəqəmsal texnologiyalardan yaradıcı istifadə",
                        "Творческое использование цифровых технологий",
                    ),
                ),
                CompetenceData(
                    "5.4",
                    Names(
                        "Identifying digital competence gaps",
                        "Rəqəmsal səriştə boşluqlarının müəyyən edilməsi",
                        "Выявление пробелов в цифровых компетенциях",
                    ),
                ),
            ),
        ),
    ),
)

# ---------------------------------------------------------------------------------------
# UNESCO AI competency frameworks: dimensions x progression levels
# ---------------------------------------------------------------------------------------
_HUMAN_CENTRED_MINDSET = Names(
    "Human-centred mindset", "İnsanmərkəzli təfəkkür", "Человекоцентричное мышление"
)
_ETHICS_OF_AI = Names("Ethics of AI", "Süni intellekt etikası", "Этика ИИ")
_HUMAN_AGENCY = Names("Human agency", "İnsanın müstəqil iradəsi", "Субъектность человека")
_HUMAN_ACCOUNTABILITY = Names(
    "Human accountability", "İnsanın məsuliyyəti", "Ответственность человека"
)
_SAFE_AND_RESPONSIBLE_USE = Names(
    "Safe and responsible use",
    "Təhlükəsiz və məsuliyyətli istifadə",
    "Безопасное и ответственное использование",
)
_APPLICATION_SKILLS = Names("Application skills", "Tətbiq bacarıqları", "Навыки применения")
_CREATE = Names("Create", "Yaratma", "Создание")

UNESCO_STUDENTS = FrameworkData(
    slug="unesco-ai-students",
    kind="unesco-students",
    name=Names(
        "UNESCO AI competency framework for students",
        "UNESCO-nun şagirdlər üçün süni intellekt səriştələri çərçivəsi",
        "Рамка компетенций ЮНЕСКО в области ИИ для учащихся",
    ),
    source='UNESCO, "AI competency framework for students" (2024)',
    levels_description=Names(
        "Three progression levels: Understand, Apply, Create. Each dimension has one "
        "competency at each level.",
        "Üç inkişaf səviyyəsi: Anlama, Tətbiq, Yaratma. Hər ölçünün hər səviyyədə bir "
        "səriştəsi var.",
        "Три уровня развития: Понимание, Применение, Создание. В каждом измерении по "
        "одной компетенции на каждом уровне.",
    ),
    levels=(
        LevelData(1, Names("Understand", "Anlama", "Понимание")),
        LevelData(2, Names("Apply", "Tətbiq", "Применение")),
        LevelData(3, _CREATE),
    ),
    areas=_levels_by_dimension(
        [
            (
                _HUMAN_CENTRED_MINDSET,
                (
                    _HUMAN_AGENCY,
                    _HUMAN_ACCOUNTABILITY,
                    Names(
                        "Citizenship in the era of AI",
                        "Süni intellekt dövründə vətəndaşlıq",
                        "Гражданственность в эпоху ИИ",
                    ),
                ),
            ),
            (
                _ETHICS_OF_AI,
                (
                    Names("Embodied ethics", "Təcəssüm olunmuş etika", "Воплощённая этика"),
                    _SAFE_AND_RESPONSIBLE_USE,
                    Names(
                        "Ethics by design",
                        "Layihələndirmə mərhələsində etika",
                        "Этика на этапе проектирования",
                    ),
                ),
            ),
            (
                Names(
                    "AI techniques and applications",
                    "Süni intellekt üsulları və tətbiqləri",
                    "Методы и применения ИИ",
                ),
                (
                    Names("AI foundations", "Süni intellektin əsasları", "Основы ИИ"),
                    _APPLICATION_SKILLS,
                    Names(
                        "Creating AI tools",
                        "Süni intellekt alətlərinin yaradılması",
                        "Создание инструментов ИИ",
                    ),
                ),
            ),
            (
                Names(
                    "AI system design",
                    "Süni intellekt sistemlərinin layihələndirilməsi",
                    "Проектирование систем ИИ",
                ),
                (
                    Names(
                        "Problem scoping",
                        "Problemin hüdudlarının müəyyən edilməsi",
                        "Определение рамок задачи",
                    ),
                    Names(
                        "Architecture design",
                        "Arxitekturanın layihələndirilməsi",
                        "Проектирование архитектуры",
                    ),
                    Names(
                        "Iteration and feedback loops",
                        "İterasiya və əks-əlaqə dövrələri",
                        "Итерации и циклы обратной связи",
                    ),
                ),
            ),
        ]
    ),
)

UNESCO_TEACHERS = FrameworkData(
    slug="unesco-ai-teachers",
    kind="unesco-teachers",
    name=Names(
        "UNESCO AI competency framework for teachers",
        "UNESCO-nun müəllimlər üçün süni intellekt səriştələri çərçivəsi",
        "Рамка компетенций ЮНЕСКО в области ИИ для учителей",
    ),
    source='UNESCO, "AI competency framework for teachers" (2024)',
    levels_description=Names(
        "Three progression levels: Acquire, Deepen, Create. Each dimension has one "
        "competency at each level.",
        "Üç inkişaf səviyyəsi: Mənimsəmə, Dərinləşdirmə, Yaratma. Hər ölçünün hər "
        "səviyyədə bir səriştəsi var.",
        "Три уровня развития: Освоение, Углубление, Создание. В каждом измерении по "
        "одной компетенции на каждом уровне.",
    ),
    levels=(
        LevelData(1, Names("Acquire", "Mənimsəmə", "Освоение")),
        LevelData(2, Names("Deepen", "Dərinləşdirmə", "Углубление")),
        LevelData(3, _CREATE),
    ),
    areas=_levels_by_dimension(
        [
            (
                _HUMAN_CENTRED_MINDSET,
                (
                    _HUMAN_AGENCY,
                    _HUMAN_ACCOUNTABILITY,
                    Names(
                        "Social responsibility", "Sosial məsuliyyət", "Социальная ответственность"
                    ),
                ),
            ),
            (
                _ETHICS_OF_AI,
                (
                    Names("Ethical principles", "Etik prinsiplər", "Этические принципы"),
                    _SAFE_AND_RESPONSIBLE_USE,
                    Names(
                        "Co-creating ethical rules",
                        "Etik qaydaların birgə hazırlanması",
                        "Совместная разработка этических правил",
                    ),
                ),
            ),
            (
                Names(
                    "AI foundations and applications",
                    "Süni intellektin əsasları və tətbiqləri",
                    "Основы и применения ИИ",
                ),
                (
                    Names(
                        "Basic AI techniques and applications",
                        "Süni intellektin əsas üsulları və tətbiqləri",
                        "Базовые методы и применения ИИ",
                    ),
                    _APPLICATION_SKILLS,
                    Names("Creating with AI", "Süni intellektlə yaradıcılıq", "Творчество с ИИ"),
                ),
            ),
            (
                Names("AI pedagogy", "Süni intellekt pedaqogikası", "Педагогика с ИИ"),
                (
                    Names(
                        "AI-assisted teaching",
                        "Süni intellektin köməyi ilə tədris",
                        "Преподавание с помощью ИИ",
                    ),
                    Names(
                        "AI-pedagogy integration",
                        "Süni intellektin pedaqogikaya inteqrasiyası",
                        "Интеграция ИИ в педагогику",
                    ),
                    Names(
                        "AI-enhanced pedagogical transformation",
                        "Süni intellektlə gücləndirilmiş pedaqoji transformasiya",
                        "Педагогическая трансформация с помощью ИИ",
                    ),
                ),
            ),
            (
                Names(
                    "AI for professional development",
                    "Peşəkar inkişaf üçün süni intellekt",
                    "ИИ для профессионального развития",
                ),
                (
                    Names(
                        "AI enabling lifelong professional learning",
                        "Ömürboyu peşəkar öyrənməni təmin edən süni intellekt",
                        "ИИ для непрерывного профессионального обучения",
                    ),
                    Names(
                        "AI to enhance organizational learning",
                        "Təşkilati öyrənməni gücləndirən süni intellekt",
                        "ИИ для развития организационного обучения",
                    ),
                    Names(
                        "AI to support professional transformation",
                        "Peşəkar transformasiyanı dəstəkləyən süni intellekt",
                        "ИИ для поддержки профессиональной трансформации",
                    ),
                ),
            ),
        ]
    ),
)

FRAMEWORKS: tuple[FrameworkData, ...] = (DIGCOMP, UNESCO_STUDENTS, UNESCO_TEACHERS)
