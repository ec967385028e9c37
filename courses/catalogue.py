"""The catalogue on the home page (a section of `cms.sections`): the published courses,
grouped by track and curriculum, in the reader's language, under the course search's own
form. A visitor and a student browse the same catalogue; opening a course is open to all,
reading its lessons is not (courses.access).

One selector, one section; registered in wagtail_hooks.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from wagtail.models import Page

from cms.pagecache import PAGES, cacheable
from cms.sections import Section
from cms.translation import active_language, in_language, url_in_language
from curricula.models import CurriculumPage
from people.models import Track

from . import selectors
from .forms import SearchForm
from .models import CoursePage

STYLESHEETS = ("courses/css/catalogue.css",)


@dataclass(frozen=True)
class CatalogueCourse:
    title: str  # in the reader's language where translated
    url: str  # under the reader's language prefix
    summary: str
    level: str  # its label
    language: str  # the language of instruction, a code


@dataclass(frozen=True)
class CatalogueCurriculum:
    title: str
    url: str
    grade_band: str
    courses: list[CatalogueCourse]


@dataclass(frozen=True)
class TrackShelf:
    track: str  # people.models.Track value
    label: str
    curricula: list[CatalogueCurriculum]


def catalogue_shelves(*, language: str | None = None) -> list[TrackShelf]:
    """Tracks (in Track's order) with their curricula (by title) and the live courses of
    each (in tree order); only curricula that have a course. A fixed number of queries,
    however many courses."""
    language = language or active_language()
    courses = selectors.catalogue()  # originals, with .track
    if not courses:
        return []
    parent_paths = {c.path[: -CoursePage.steplen] for c in courses}
    curricula = list(CurriculumPage.objects.live().public().filter(path__in=parent_paths))
    shown: dict[int, Page] = in_language([*curricula, *courses], language)
    by_path: dict[str, list[CatalogueCourse]] = {}
    for course in courses:
        here = shown[course.pk]
        by_path.setdefault(course.path[: -CoursePage.steplen], []).append(
            CatalogueCourse(
                title=here.title,
                url=url_in_language(here, language),
                summary=getattr(here, "summary", "") or course.summary,
                level=course.get_level_display(),
                language=course.language,
            )
        )
    shelves = []
    for track, label in Track.choices:
        entries = sorted(
            (
                CatalogueCurriculum(
                    title=shown[c.pk].title,
                    url=url_in_language(shown[c.pk], language),
                    grade_band=c.grade_band,
                    courses=by_path[c.path],
                )
                for c in curricula
                if c.track == track
            ),
            key=lambda entry: entry.title.casefold(),
        )
        if entries:
            shelves.append(TrackShelf(track=track, label=str(label), curricula=entries))
    return shelves


def home_catalogue(request: HttpRequest, page: Page) -> Section | None:
    """The catalogue with its search box; nothing before the first course is published.
    The same for every reader in a language: drawn once, until a page changes
    (cms.pagecache)."""

    def draw() -> str:
        shelves = catalogue_shelves()
        if not shelves:
            return ""
        return render_to_string(
            "courses/_home_catalogue.html",
            {"shelves": shelves, "form": SearchForm(auto_id="catalogue-%s")},
        )

    html = (
        PAGES.get_or_set(("catalogue", active_language()), draw, local=True)
        if cacheable(request)
        else draw()
    )
    return Section(mark_safe(html), stylesheets=STYLESHEETS) if html else None  # noqa: S308
