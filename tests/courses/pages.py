"""Builders for the curriculum -> course -> lesson tree, published under the home page."""

from __future__ import annotations

import itertools
import json

from wagtail.models import Page

from cms.models import HomePage
from courses.models import CoursePage, LessonPage
from curricula.models import CurriculumIndexPage, CurriculumPage

_numbers = itertools.count(1)


def publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def home() -> HomePage:
    return HomePage.objects.get(depth=2, locale__language_code="en")


def curriculum_index(**kwargs) -> CurriculumIndexPage:
    existing = CurriculumIndexPage.objects.child_of(home()).first()
    if existing:
        return existing
    return publish(home(), CurriculumIndexPage(title="Curricula", slug="curricula", **kwargs))


def curriculum(**kwargs) -> CurriculumPage:
    n = next(_numbers)
    fields = {"title": f"Digital skills {n}", "slug": f"digital-skills-{n}", "track": "school"}
    fields.update(kwargs)
    fields.setdefault("grade_band", "5-9" if fields["track"] == "school" else "")
    return publish(curriculum_index(), CurriculumPage(**fields))


def course(parent: CurriculumPage | None = None, **kwargs) -> CoursePage:
    n = next(_numbers)
    fields = {"title": f"Python basics {n}", "slug": f"python-basics-{n}", "summary": "Start."}
    fields.update(kwargs)
    return publish(parent or curriculum(), CoursePage(**fields))


def lesson(parent: CoursePage | None = None, body: list | None = None, **kwargs) -> LessonPage:
    n = next(_numbers)
    fields = {"title": f"Lesson {n}", "slug": f"lesson-{n}"}
    fields.update(kwargs)
    page = LessonPage(**fields)
    if body is not None:
        page.body = json.dumps(body)
    return publish(parent or course(), page)


# ---------------------------------------------------------------------------------------
# Quizzes as the page editor stores them (every block and list item has an id)
# ---------------------------------------------------------------------------------------
def _id(prefix: str) -> str:
    return f"{prefix}-{next(_numbers)}"


def choice(text: str, correct: bool = False) -> dict:
    return {"type": "item", "id": _id("c"), "value": {"text": text, "correct": correct}}


def question(
    prompt: str = "2 + 2 = ?",
    *,
    kind: str = "single",
    choices: list | None = None,
    answer: float | None = None,
    tolerance: float = 0,
    competence=None,
    level: int = 2,
    explanation: str = "",
    id: str | None = None,
) -> dict:
    from curricula.models import Competence

    if competence is None:
        competence = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    if choices is None and kind != "numeric":
        choices = [choice("3"), choice("4", correct=True), choice("5")]
    return {
        "type": "item",
        "id": id or _id("q"),
        "value": {
            "kind": kind,
            "prompt": prompt,
            "choices": choices or [],
            "answer": answer,
            "tolerance": tolerance,
            "competence": str(competence.pk),
            "level": level,
            "explanation": explanation,
        },
    }


def quiz(
    *questions: dict, title: str = "Check yourself", pass_percent: int = 60, id=None, **settings
) -> dict:
    """`settings`: max_attempts, explanations (left out: as a quiz saved before they existed)."""
    return {
        "type": "quiz",
        "id": id or _id("quiz"),
        "value": {
            "title": title,
            "pass_percent": pass_percent,
            "questions": list(questions),
            **settings,
        },
    }


def quiz_lesson(parent: CoursePage | None = None, *questions: dict, **kwargs) -> LessonPage:
    """A published lesson completed by passing its one quiz."""
    questions = questions or (question(),)
    kwargs.setdefault("completion_rule", "quiz")
    return lesson(
        parent, body=[{"type": "paragraph", "value": "<p>Read me.</p>"}, quiz(*questions)], **kwargs
    )


def ids(page: LessonPage) -> tuple[str, list[str], list[list[str]]]:
    """(quiz id, question ids, choice ids per question) of a lesson's first quiz."""
    from courses.quiz import quizzes_in

    first = quizzes_in(page.body.raw_data)[0]
    return (
        first.id,
        [q.id for q in first.questions],
        [[c.id for c in q.choices] for q in first.questions],
    )


def student_of(a_course: CoursePage, **kwargs):
    """A student enrolled in the course (self-enrolled, so no cohort is needed)."""
    from courses.models import Enrolment
    from tests.factories import UserFactory

    user = UserFactory(**kwargs)
    Enrolment.objects.create(course=a_course, student=user, source=Enrolment.Source.SELF)
    return user


def translate(page: Page, language: str, **fields) -> Page:
    """A published copy of `page` in `language` (its untranslated parents become aliases,
    as Wagtail's copy for translation makes them)."""
    from wagtail.models import Locale

    copy = page.copy_for_translation(Locale.objects.get(language_code=language), copy_parents=True)
    for name, value in fields.items():
        setattr(copy, name, value)
    if "title" in fields:
        copy.draft_title = fields["title"]
    copy.save_revision().publish()
    copy.refresh_from_db()
    return copy
