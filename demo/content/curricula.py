"""The curriculum index and one curriculum per track, with the competences it aims at."""

from __future__ import annotations

from .blocks import DIGCOMP, UNESCO, names

INDEX = {
    "title": names("Curricula", "Kurikulumlar", "Учебные программы"),
    "introduction": names(
        "<p>What each track learns, and the competences it aims at.</p>",
        "<p>Hər istiqamətin nə öyrəndiyi və hansı səriştələri hədəflədiyi.</p>",
        "<p>Чему учится каждое направление и на какие компетенции оно нацелено.</p>",
    ),
}

CURRICULA = [
    {
        "slug": "digital-skills-5-9",
        "track": "school",
        "grade_band": "5-9",
        "title": names(
            "Digital skills, grades 5-9",
            "Rəqəmsal bacarıqlar, 5-9-cu siniflər",
            "Цифровые навыки, 5-9 классы",
        ),
        "summary": names(
            "Searching, evaluating and sharing information safely; first programs in Python.",
            "İnformasiyanın təhlükəsiz axtarışı, qiymətləndirilməsi və paylaşılması; "
            "Python-da ilk proqramlar.",
            "Безопасный поиск, оценка и распространение информации; первые программы на Python.",
        ),
        "targets": [(DIGCOMP, "1.1", 3), (DIGCOMP, "3.4", 3), (DIGCOMP, "4.2", 3)],
    },
    {
        "slug": "data-science-bachelor",
        "track": "university",
        "grade_band": "",
        "title": names(
            "Data science (bachelor)", "Verilənlər elmi (bakalavr)", "Наука о данных (бакалавриат)"
        ),
        "summary": names(
            "Programming, data handling and the foundations of machine learning.",
            "Proqramlaşdırma, verilənlərlə iş və maşın öyrənməsinin əsasları.",
            "Программирование, работа с данными и основы машинного обучения.",
        ),
        "targets": [(DIGCOMP, "3.4", 5), (UNESCO, "3.2", 2)],
    },
    {
        "slug": "ai-for-state-scholars",
        "track": "scholarship",
        "grade_band": "",
        "title": names(
            "AI for state scholars",
            "Dövlət təqaüdçüləri üçün süni intellekt",
            "ИИ для государственных стипендиатов",
        ),
        "summary": names(
            "Responsible use of AI tools in study and research abroad.",
            "Xaricdə təhsil və tədqiqatda süni intellekt alətlərindən məsuliyyətli istifadə.",
            "Ответственное использование инструментов ИИ в учёбе и исследованиях за рубежом.",
        ),
        "targets": [(UNESCO, "2.2", 2), (UNESCO, "1.2", 2)],
    },
]
