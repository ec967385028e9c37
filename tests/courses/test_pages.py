"""The page tree stays honest, and lessons render code and formulas on the server."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Page

from cms.models import HomePage, StandardPage
from courses.models import CoursePage, LessonPage
from curricula.models import (
    Competence,
    CurriculumCompetenceTarget,
    CurriculumIndexPage,
    CurriculumPage,
    ProficiencyLevel,
)
from tests.factories import CohortFactory, teacher_of

from .pages import course, curriculum, curriculum_index, home, lesson, student_of

pytestmark = pytest.mark.django_db

CODE = 'def greet(name):\n    return f"Salam, {name}!"  # <not a tag>\n'


def test_a_lesson_cannot_sit_directly_under_the_home_page():
    assert not LessonPage.can_create_at(home())
    assert LessonPage.allowed_parent_page_models() == [CoursePage]
    assert "courses.lessonpage" not in {
        f"{m._meta.app_label}.{m._meta.model_name}" for m in HomePage.allowed_subpage_models()
    }


def test_the_tree_is_home_curricula_curriculum_course_lesson():
    assert CurriculumIndexPage.allowed_parent_page_models() == [HomePage]
    assert CurriculumPage.allowed_parent_page_models() == [CurriculumIndexPage]
    assert CoursePage.allowed_parent_page_models() == [CurriculumPage]
    assert CurriculumPage.allowed_subpage_models() == [CoursePage]
    assert CoursePage.allowed_subpage_models() == [LessonPage]
    assert LessonPage.allowed_subpage_models() == []

    index = curriculum_index()
    school = curriculum()
    a_course = course(school)
    assert CurriculumIndexPage.can_create_at(home()) is False  # one index per home page
    assert not CoursePage.can_create_at(home())
    assert not CoursePage.can_create_at(index)
    assert CoursePage.can_create_at(school)
    assert LessonPage.can_create_at(a_course)
    assert not LessonPage.can_create_at(school)
    assert not StandardPage.can_create_at(a_course)


def test_a_school_curriculum_needs_a_grade_band_and_only_school_ones_have_one():
    index = curriculum_index()
    missing = CurriculumPage(title="School", slug="school", track="school", grade_band="")
    extra = CurriculumPage(title="Uni", slug="uni", track="university", grade_band="5-9")
    ok = CurriculumPage(title="Scholars", slug="scholars", track="scholarship", grade_band="")
    for page in (missing, extra):
        page.path, page.depth = index.path + "9999", index.depth + 1  # as if added
        with pytest.raises(ValidationError):
            page.validate_constraints()
    ok.validate_constraints()


def test_a_target_level_must_belong_to_the_competence_framework():
    programming = Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4")
    digcomp_5 = ProficiencyLevel.objects.get(framework__slug="digcomp-2-2", number=5)
    unesco_apply = ProficiencyLevel.objects.get(framework__slug="unesco-ai-students", number=2)

    CurriculumCompetenceTarget(competence=programming, level=digcomp_5).clean()
    with pytest.raises(ValidationError) as error:
        CurriculumCompetenceTarget(competence=programming, level=unesco_apply).clean()
    assert "level" in error.value.message_dict


@pytest.fixture
def reader(client):
    """Lessons are for enrolled students and for teachers: a teacher reads them here."""
    client.force_login(teacher_of(CohortFactory()))
    return client


def test_a_published_lesson_renders_highlighted_code_and_mathml(client):
    page = lesson(
        body=[
            {"type": "paragraph", "value": "<p>Functions take arguments.</p>"},
            {"type": "code", "value": {"language": "python", "code": CODE, "caption": "greet"}},
            {"type": "formula", "value": {"latex": r"\frac{a}{b} + x^2", "caption": ""}},
            {"type": "callout", "value": {"kind": "tip", "text": "<p>Try it.</p>"}},
        ]
    )

    client.force_login(student_of(page.get_parent().specific))

    response = client.get(page.url)

    assert response.status_code == 200
    html = response.content.decode()
    # Pygments tokens: 'def' is a keyword (k), 'greet' a function name (nf), the comment c1
    assert '<div class="highlight"><pre>' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">greet</span>' in html
    assert "&lt;not a tag&gt;" in html
    assert "<not a tag>" not in html
    assert "courses/css/code.css" in html
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"' in html
    assert "<mfrac>" in html
    assert 'class="callout callout-tip"' in html
    assert "<script" not in html.split("</head>")[1].split("<footer")[0]


def test_course_and_curriculum_pages_list_their_children(client, reader):
    school = curriculum(title="Informatics 5-9", grade_band="5-9")
    school.competence_targets.create(
        competence=Competence.objects.get(area__framework__slug="digcomp-2-2", code="3.4"),
        level=ProficiencyLevel.objects.get(framework__slug="digcomp-2-2", number=3),
    )
    school.save_revision().publish()
    a_course = course(school, title="Python for beginners", estimated_hours=12, is_open=True)
    first = lesson(a_course, title="Variables")
    second = lesson(a_course, title="Loops")

    curriculum_html = client.get(school.url).content.decode()
    assert "Python for beginners" in curriculum_html
    assert "3.4 Programming" in curriculum_html
    assert "Level 3 (Intermediate)" in curriculum_html

    course_html = client.get(a_course.url).content.decode()
    assert "12 hours" in course_html
    assert "Open for self-enrolment" in course_html
    assert course_html.index("Variables") < course_html.index("Loops")

    first_html = client.get(first.url).content.decode()
    assert f'rel="next" href="{second.url}"' in first_html

    index_html = client.get(curriculum_index().url).content.decode()
    assert "Informatics 5-9" in index_html


def test_pages_are_served_in_every_platform_language(client):
    page = course(estimated_hours=3)
    assert page.url.startswith("/en/")

    for language in ("az", "ru"):
        response = client.get(page.url.replace("/en/", f"/{language}/", 1))
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.content.decode()


def test_courses_and_lessons_are_searchable():
    a_course = course(title="Cyber hygiene", summary="Passwords, phishing and updates.")
    lesson(a_course, title="Phishing", introduction="How to recognise a phishing message.")

    assert CoursePage.objects.live().search("phishing").count() == 1
    assert [p.title for p in LessonPage.objects.live().search("phishing")] == ["Phishing"]
    assert Page.objects.live().search("Cyber hygiene").count() >= 1
