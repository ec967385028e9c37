"""Demo curricula: the curricula index and one curriculum page per track, with the
competences each aims at, in en, az and ru; and the ministry analyst may correct framework
names (Framework editors group).

The frameworks themselves come with the data migration 0002_load_frameworks.

Idempotent: pages are looked up by slug under their parent and created only when missing.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import Site

from cms.locales import ensure_locales
from courses.moderation import assign_course_review
from curricula.models import (
    CurriculumCompetenceTarget,
    CurriculumIndexPage,
    CurriculumPage,
    ProficiencyLevel,
)
from curricula.permissions import FRAMEWORK_EDITORS_GROUP
from people.models import User

from .content.curricula import CURRICULA, INDEX
from .pages import child, competence, english_home, translate


def load() -> dict[str, CurriculumPage]:
    framework_editors()
    return load_pages()


def framework_editors() -> None:
    group = Group.objects.filter(name=FRAMEWORK_EDITORS_GROUP).first()
    analyst = User.objects.filter(username="analyst").first()
    if group and analyst:
        analyst.groups.add(group)


@transaction.atomic
def load_pages() -> dict[str, CurriculumPage]:
    """The index under the English home page and the curricula (the originals) by slug;
    empty when there is no home page."""
    ensure_locales()
    home = english_home()
    if home is None:
        return {}
    index = child(
        home,
        CurriculumIndexPage,
        "curricula",
        title=INDEX["title"]["en"],
        introduction=INDEX["introduction"]["en"],
    )
    assign_course_review(index)
    translate(index, {"title": INDEX["title"], "introduction": INDEX["introduction"]})
    curricula = {}
    for data in CURRICULA:
        page = child(
            index,
            CurriculumPage,
            data["slug"],
            title=data["title"]["en"],
            track=data["track"],
            grade_band=data["grade_band"],
            summary=data["summary"]["en"],
        )
        if not page.competence_targets.exists():
            for framework, code, level in data["targets"]:
                CurriculumCompetenceTarget.objects.create(
                    page=page,
                    competence=competence(framework, code),
                    level=ProficiencyLevel.objects.get(framework__slug=framework, number=level),
                )
            page.save_revision().publish()
        translate(page, {"title": data["title"], "summary": data["summary"]})
        curricula[data["slug"]] = page
    Site.clear_site_root_paths_cache()  # translating may have copied the home page
    return curricula
