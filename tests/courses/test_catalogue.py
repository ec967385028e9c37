"""The catalogue on the home page: a visitor and a student browse the published courses by
track and curriculum, in their language, and search them from there."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.catalogue import catalogue_shelves
from tests.factories import UserFactory

from .pages import course, curriculum, translate

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelves():
    school = curriculum(title="Informatics 5-9", track="school")
    university = curriculum(title="Data science", track="university", grade_band="")
    python = course(school, title="Python basics", level="foundation", language="az")
    course(school, title="Staying safe online")
    course(university, title="Machine learning", language="ru")
    curriculum(title="Nothing yet", track="scholarship", grade_band="")  # no course
    draft = course(school, title="Not ready")
    draft.unpublish()
    return python


def catalogue_of(html: str) -> str:
    found = re.search(r'<section class="catalogue".*</section>', html, re.S)
    assert found, "no catalogue on the home page"
    return found.group(0)


def test_a_visitor_sees_the_courses_by_track_and_curriculum(client, shelves):
    html = catalogue_of(client.get("/en/").content.decode())

    school = html.index('id="catalogue-track-school">School<')
    university = html.index('id="catalogue-track-university">University<')
    assert school < html.index("Python basics") < html.index("Staying safe online") < university
    assert university < html.index("Machine learning")
    assert "2 courses" in html and "1 course<" in html
    assert "Not ready" not in html and "Nothing yet" not in html
    assert f'href="{shelves.url}"' in html


def test_the_search_box_leads_to_the_course_search_in_the_readers_language(client, shelves):
    html = catalogue_of(client.get("/ru/").content.decode())

    assert 'action="/ru/learning/search/"' in html
    assert 'name="q"' in html and 'name="track"' in html and 'name="language"' in html
    found = client.get("/ru/learning/search/", {"q": "Python"}).content.decode()
    assert "Python basics" in found


def test_a_student_reads_the_catalogue_in_their_language(client, shelves):
    translate(shelves, "az", title="Python əsasları")
    client.force_login(UserFactory())

    html = catalogue_of(client.get("/az/").content.decode())

    assert "Python əsasları" in html and "Python basics" not in html
    assert re.search(r'href="/az/[^"]*">Staying safe online<', html)  # untranslated: az prefix


def test_the_catalogue_reads_a_fixed_number_of_queries(client, shelves):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            catalogue_shelves(language="en")
        return len(queries)

    count()  # the page caches (cms.pagecache) warm
    before = count()
    for n in range(4):
        course(shelves.get_parent().specific, title=f"More {n}")
    course(curriculum(title="Cyber", track="university", grade_band=""), title="Cyber 1")
    assert count() == before


def test_no_catalogue_before_the_first_course(client):
    assert 'class="catalogue"' not in client.get("/en/").content.decode()
