"""Demo: a curriculum per track, a course with lessons that show code and formulas.

Idempotent: pages are looked up by slug under their parent and created only when missing.
"""

from __future__ import annotations

import json

from django.db import transaction
from wagtail.models import Page

from cms.models import HomePage
from curricula.models import (
    Competence,
    CurriculumCompetenceTarget,
    CurriculumIndexPage,
    CurriculumPage,
    ProficiencyLevel,
)

from .models import CoursePage, LessonPage

CURRICULA = [
    # slug, title, track, grade band, summary, [(framework, competence code, level number)]
    (
        "digital-skills-5-9",
        "Digital skills, grades 5-9",
        "school",
        "5-9",
        "Searching, evaluating and sharing information safely; first programs in Python.",
        [("digcomp-2-2", "1.1", 3), ("digcomp-2-2", "3.4", 3), ("digcomp-2-2", "4.2", 3)],
    ),
    (
        "data-science-bachelor",
        "Data science (bachelor)",
        "university",
        "",
        "Programming, data handling and the foundations of machine learning.",
        [("digcomp-2-2", "3.4", 5), ("unesco-ai-students", "3.2", 2)],
    ),
    (
        "ai-for-state-scholars",
        "AI for state scholars",
        "scholarship",
        "",
        "Responsible use of AI tools in study and research abroad.",
        [("unesco-ai-students", "2.2", 2), ("unesco-ai-students", "1.2", 2)],
    ),
]

LESSONS = [
    (
        "variables",
        "Variables and expressions",
        [
            {"type": "paragraph", "value": "<p>A variable is a name for a value.</p>"},
            {
                "type": "code",
                "value": {
                    "language": "python",
                    "code": 'city = "Baku"\nyear = 2026\nprint(f"{city}, {year}")\n',
                    "caption": "Names for values",
                },
            },
            {
                "type": "callout",
                "value": {"kind": "tip", "text": "<p>Names are case-sensitive.</p>"},
            },
        ],
    ),
    (
        "averages",
        "Computing an average",
        [
            {"type": "paragraph", "value": "<p>The mean of n numbers:</p>"},
            {
                "type": "formula",
                "value": {"latex": r"\bar{x} = \frac{1}{n} \sum_{i=1}^{n} x_i", "caption": ""},
            },
            {
                "type": "code",
                "value": {
                    "language": "python",
                    "code": "def mean(xs):\n    return sum(xs) / len(xs)\n",
                    "caption": "",
                },
            },
        ],
    ),
]


def _child(parent: Page, model, slug: str, **fields):
    existing = model.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@transaction.atomic
def load() -> list:
    home = HomePage.objects.filter(depth=2).first()
    if home is None:
        return []
    index = _child(
        home,
        CurriculumIndexPage,
        "curricula",
        title="Curricula",
        introduction="<p>What each track learns, and the competences it aims at.</p>",
    )
    curricula = {}
    for slug, title, track, band, summary, targets in CURRICULA:
        page = _child(
            index,
            CurriculumPage,
            slug,
            title=title,
            track=track,
            grade_band=band,
            summary=summary,
        )
        if not page.competence_targets.exists():
            for framework, code, level in targets:
                CurriculumCompetenceTarget.objects.create(
                    page=page,
                    competence=Competence.objects.get(area__framework__slug=framework, code=code),
                    level=ProficiencyLevel.objects.get(framework__slug=framework, number=level),
                )
        curricula[slug] = page
    course = _child(
        curricula["digital-skills-5-9"],
        CoursePage,
        "python-first-steps",
        title="Python: first steps",
        summary="Variables, expressions and functions, with exercises graded in seconds.",
        estimated_hours=12,
        language="az",
        is_open=True,
    )
    if not course.competences.exists():
        course.competences.set(
            Competence.objects.filter(area__framework__slug="digcomp-2-2", code="3.4")
        )
        course.save_revision().publish()
    for slug, title, body in LESSONS:
        _child(course, LessonPage, slug, title=title, body=json.dumps(body))
    return []
