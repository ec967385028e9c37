"""The dashboard's report is rendered once per scope and kept (reports/caching.py): a warm
page reads no roll-up, shows every change of the roll-ups it draws at once, leaves the
pages of other scopes warm, and serves each reader only the scope they may see, as their
kind of reader sees it."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from courses.models import CourseProgress
from people.models import Region
from reports.models import ReportAccessLog
from reports.rollups import completion_refresh
from tests.factories import PASSWORD, admin_of, analyst, student_in

from .conftest import cohort_with_students, evidence_rolled_up, published, school

pytestmark = pytest.mark.django_db

# a warm page: the session, the user, and the audit row of the read
WARM_QUERIES = 3


@pytest.fixture
def country(competences, region):
    """Two schools in Baku and one in Karabakh, students with evidence, rolled up."""
    a, b = school(region, name_en="Lyceum 1"), school(region, name_en="School 2")
    far = school(Region.objects.get(code="karabakh"), name_en="School 3")
    groups = [
        cohort_with_students(a, 14),
        cohort_with_students(b, 12),
        cohort_with_students(far, 11),
    ]
    evidence_rolled_up(groups, competences, "cache")
    return {"schools": (a, b, far), "groups": groups}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    # the download forms' CSRF token differs on every response
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def fresh(client, url: str) -> str:
    """The page as it reads with nothing cached."""
    cache.clear()
    return page(client, url)


def figure(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1)


def test_a_warm_page_reads_no_roll_up_however_many_students(
    client, country, competences, region, django_assert_num_queries
):
    login(client, analyst())
    urls = ["/en/reports/", "/en/reports/?region=baku"]
    urls.append(f"/en/reports/?institution={country['schools'][0].code}")
    for url in urls:
        page(client, url)
        with django_assert_num_queries(WARM_QUERIES):
            page(client, url)
    # more students and schools: the pages are drawn again, then warm at the same count
    for _ in range(3):
        cohort_with_students(school(region), 15)
    for url in urls:
        page(client, url)
        with django_assert_num_queries(WARM_QUERIES):
            page(client, url)
    # every read is logged, from the cache or not
    assert ReportAccessLog.objects.filter(channel="page").count() == 4 * len(urls)


def test_graded_evidence_shows_at_once_and_other_scopes_stay_warm(
    client, country, competences, replace, django_assert_num_queries
):
    login(client, analyst())
    (_cohort, students), far = country["groups"][0], country["schools"][2]
    far_url = f"/en/reports/?institution={far.code}"
    urls = ["/en/reports/", "/en/reports/?region=baku"]
    urls.append(f"/en/reports/?institution={country['schools'][0].code}")
    before = {url: page(client, url) for url in urls}
    page(client, far_url)
    for student in students:  # a quiz on a competence nobody had shown yet
        replace(student, "quiz:new:1", [(competences[5], 2, 1.0)], when=timezone.now())
    for url in urls:
        shown = page(client, url)
        assert shown != before[url]
        assert shown == fresh(client, url)
    page(client, far_url)  # warm again after the clear above
    for student in students[:3]:
        replace(student, "quiz:new:1", [(competences[5], 3, 1.0)], when=timezone.now())
    # Karabakh's school shows none of Baku's students: its page was not retired
    with django_assert_num_queries(WARM_QUERIES):
        page(client, far_url)


def test_students_joining_show_at_once(client, country):
    login(client, analyst())
    (cohort, students), a = country["groups"][0], country["schools"][0]
    url = f"/en/reports/?institution={a.code}"
    assert figure(page(client, url), "total-enrolled") == str(published(students))
    joined = [student_in(cohort) for _ in range(10)]
    shown = page(client, url)
    assert figure(shown, "total-enrolled") == str(published(students + joined))
    assert shown == fresh(client, url)


def test_completions_show_after_the_recount_and_a_still_recount_keeps_the_cache(
    client, country, django_assert_num_queries
):
    from tests.courses.pages import course

    login(client, analyst())
    (_cohort, students), a = country["groups"][0], country["schools"][0]
    url = f"/en/reports/?institution={a.code}"
    completed = re.compile(r"Completed a course<strong>([^<]*)<")
    assert completed.search(page(client, url)).group(1) == "0"
    c = course()
    for s in students[:10]:
        CourseProgress.objects.create(
            student=s,
            course=c,
            lessons_total=2,
            lessons_completed=2,
            percent=100,
            completed_at=timezone.now(),
        )
    completion_refresh()  # the beat task
    shown = page(client, url)
    assert completed.search(shown).group(1) == str(published(students[:10]))
    completion_refresh()  # nothing moved since: the page stays warm
    with django_assert_num_queries(WARM_QUERIES):
        assert page(client, url) == shown


def test_a_renamed_institution_shows_at_once(client, country):
    login(client, analyst())
    a = country["schools"][0]
    assert "Lyceum 1" in page(client, "/en/reports/?region=baku")
    a.name_en = "Lyceum One"
    a.save()
    shown = page(client, "/en/reports/?region=baku")
    assert "Lyceum One" in shown and "Lyceum 1" not in shown


def test_each_reader_gets_their_own_scope_and_view_from_a_warm_cache(client, country):
    a, b, _far = country["schools"]
    admin_a, admin_b, reader = admin_of(a), admin_of(b), analyst()
    login(client, reader)
    analyst_a = page(client, f"/en/reports/?institution={a.code}")
    page(client, f"/en/reports/?institution={b.code}")
    assert ">Country</a>" in analyst_a  # an analyst's breadcrumbs climb to the country
    login(client, admin_a)
    own = page(client, "/en/reports/")
    assert "Lyceum 1" in own and "School 2" not in own
    assert ">Country</a>" not in own and 'name="region"' not in own
    # another school's page is in the cache: still refused
    response = client.get(f"/en/reports/?institution={b.code}")
    assert response.status_code == 400 and "School 2" not in response.content.decode()
    login(client, admin_b)
    other = page(client, "/en/reports/")
    assert "School 2" in other and "Lyceum 1" not in other
    # the analyst's page was not replaced by an admin's
    login(client, reader)
    assert page(client, f"/en/reports/?institution={a.code}") == analyst_a


def test_each_language_has_its_own_page(client, country):
    login(client, analyst())
    english = page(client, "/en/reports/")
    russian = page(client, "/ru/reports/")
    assert "<h1>Skills reports</h1>" in english
    assert "<h1>Skills reports</h1>" not in russian
    assert russian == fresh(client, "/ru/reports/")


class _KeysRead:
    """The shared cache as a process sees it, counting the keys of each many-key read (the
    one round trip in which a request reads its caches' versions, as with Redis)."""

    round_trips = True

    def __init__(self, cache):
        self._cache = cache
        self.reads: list[int] = []

    def get_many(self, keys, *args, **kwargs):
        self.reads.append(len(keys))
        return self._cache.get_many(keys, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cache, name)


def test_a_process_that_served_many_places_reads_no_more_per_request(client, country, monkeypatch):
    """Each report's scope has a cache version of its own. A web process serves the reports
    of thousands of places in a day; each later request must not read more versions (and
    cost more) for every place, or every page, it has served before."""
    import lms.cache

    keys = _KeysRead(lms.cache.cache)
    monkeypatch.setattr(lms.cache, "cache", keys)
    login(client, analyst())
    page(client, "/en/reports/")
    first = keys.reads[-1]
    urls = ["/en/reports/", "/en/reports/?region=baku", "/en/reports/?region=karabakh"]
    urls += [f"/en/reports/?institution={school.code}" for school in country["schools"]]
    for _ in range(5):
        for url in urls:
            page(client, url)
    page(client, "/en/reports/")
    assert keys.reads[-1] == first
    page(client, "/en/dashboard/")  # another page reads the same versions at once
    assert keys.reads[-1] == first
