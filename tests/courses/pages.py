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
