"""An institution admin creates cohorts and sees them; mistakes get a sentence, not a 500."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people.models import Cohort, Role
from people.services import membership_create
from tests.factories import CohortFactory, admin_of, student_in, teacher_of


@pytest.fixture
def admin(db):
    return admin_of(CohortFactory(name="9-A", code="a-9a").institution)


def _new_cohort(client, admin, **fields):
    institution = admin.memberships.get().institution
    data = {"name": "10-B", "code": "a-10b", "track": "school", "academic_year": "2026-2027"}
    data.update(fields)
    return client.post(f"/en/institutions/{institution.pk}/cohorts/new/", data)


def test_an_admin_creates_a_cohort_of_their_institution(client, admin):
    client.force_login(admin)
    response = _new_cohort(client, admin)
    cohort = Cohort.objects.get(code="a-10b")
    assert response.status_code == 302
    assert response["Location"] == f"/en/cohorts/{cohort.pk}/"
    assert cohort.institution == admin.memberships.get().institution
    page = client.get(response["Location"]).content.decode()
    assert "Cohort 10-B (2026-2027) created." in page


def test_a_second_cohort_with_the_same_name_and_year_is_explained(client, admin):
    client.force_login(admin)
    response = _new_cohort(client, admin, name="9-A", code="a-9a-again")
    assert response.status_code == 200
    assert "This institution already has a cohort named 9-A in 2026-2027." in (
        response.content.decode()
    )
    assert not Cohort.objects.filter(code="a-9a-again").exists()


def test_the_same_name_in_another_year_is_fine(client, admin):
    client.force_login(admin)
    response = _new_cohort(client, admin, name="9-A", code="a-9a-2027", academic_year="2027-2028")
    assert response.status_code == 302


@pytest.mark.parametrize("year", ["2026", "2026/2027", "2026-2028", "26-27"])
def test_a_malformed_academic_year_is_explained(client, admin, year):
    client.force_login(admin)
    response = _new_cohort(client, admin, academic_year=year)
    assert response.status_code == 200
    assert "Write the academic year as two consecutive years, for example 2026-2027." in (
        response.content.decode()
    )
    assert not Cohort.objects.filter(code="a-10b").exists()


def test_a_taken_code_is_explained(client, admin):
    client.force_login(admin)
    response = _new_cohort(client, admin, code="a-9a")
    assert response.status_code == 200
    assert "Cohort with this Code already exists." in response.content.decode()


def test_an_empty_post_shows_what_is_missing(client, admin):
    client.force_login(admin)
    institution = admin.memberships.get().institution
    response = client.post(f"/en/institutions/{institution.pk}/cohorts/new/", {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_cohort_page_lists_students_and_teachers(client, db):
    cohort = CohortFactory()
    teacher = teacher_of(cohort, first_name="Elvin", last_name="Guliyev")
    student_in(cohort, username="aysel.a", first_name="Aysel", last_name="Aliyeva")
    client.force_login(teacher)
    text = client.get(f"/en/cohorts/{cohort.pk}/").content.decode()
    assert "Elvin Guliyev" in text
    assert "aysel.a" in text
    assert "1 student" in text


def test_the_dashboard_query_count_does_not_grow_with_cohorts(
    client, db, django_assert_max_num_queries
):
    cohort = CohortFactory()
    teacher = teacher_of(cohort)
    client.force_login(teacher)
    client.get("/en/dashboard/")  # warm caches (site, locale)
    with CaptureQueriesContext(connection) as context:
        client.get("/en/dashboard/")
    few = context.final_queries - context.initial_queries  # the log keeps only 9,000
    assert few <= 16
    for _ in range(5):
        other = CohortFactory()
        membership_create(user=teacher, role=Role.TEACHER, cohort=other)
        student_in(other)
    client.get("/en/dashboard/")  # the new memberships retired the cached roles: warm again
    with django_assert_max_num_queries(few):
        response = client.get("/en/dashboard/")
    # each cohort once in "My cohorts" (and again in the grading section's results table)
    assert len(set(re.findall(r'href="(/en/cohorts/\d+/)"', response.content.decode()))) == 6
