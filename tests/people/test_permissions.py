"""Who may reach what: every page and API endpoint against every role.

Conventions the platform keeps, asserted exactly:
- pages: an anonymous visitor is sent to the login page (with ?next=); a signed-in user
  without the right gets the 403 page (the Wagtail and Django admins send them to their
  own login pages instead);
- API: anonymous gets 401 JSON; an object outside the user's queryset is 404 JSON (its
  existence is not revealed); a visible object with a forbidden action is 403 JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from people.models import Cohort, Institution, Membership, User
from tests.factories import (
    CohortFactory,
    InstitutionFactory,
    RegionFactory,
    admin_of,
    analyst,
    staff_user,
    student_csv,
    student_in,
    teacher_of,
)

ROLES = (
    "anonymous",
    "student",
    "teacher_other",  # teaches another cohort of the same institution
    "teacher",  # teaches the cohort
    "admin_other",  # administers another institution
    "admin",  # administers the cohort's institution
    "analyst",
    "staff",
)

# The student whose privacy is at stake, and a classmate.
STUDENT = {"username": "zarifa.studentova", "first_name": "Zarifa", "last_name": "Studentova"}
CLASSMATE = {"username": "kamilla.klassova", "first_name": "Kamilla", "last_name": "Klassova"}


@dataclass
class World:
    institution: Institution
    other_institution: Institution
    cohort: Cohort  # the cohort every cohort endpoint is asked about
    sibling_cohort: Cohort  # same institution, taught by teacher_other
    foreign_cohort: Cohort  # the other institution's cohort
    users: dict[str, User | None]


@pytest.fixture
def world(db) -> World:
    region = RegionFactory(code="test-region")
    institution = InstitutionFactory(code="school-a", region=region)
    other_institution = InstitutionFactory(code="school-b", region=region)
    cohort = CohortFactory(institution=institution, code="a-9a", name="9-A")
    sibling = CohortFactory(institution=institution, code="a-9b", name="9-B")
    foreign = CohortFactory(institution=other_institution, code="b-9a", name="9-A")
    student = student_in(cohort, **STUDENT)
    student_in(cohort, **CLASSMATE)
    users = {
        "anonymous": None,
        "student": student,
        "teacher_other": teacher_of(sibling),
        "teacher": teacher_of(cohort),
        "admin_other": admin_of(other_institution),
        "admin": admin_of(institution),
        "analyst": analyst(),
        "staff": staff_user(),
    }
    teacher_of(foreign)  # so the foreign cohort is not empty
    return World(institution, other_institution, cohort, sibling, foreign, users)


def _csv_upload() -> SimpleUploadedFile:
    data = student_csv([("new.pupil", "Nuray", "Yeni", "nuray@example.az")])
    return SimpleUploadedFile("students.csv", data, content_type="text/csv")


@dataclass(frozen=True)
class Endpoint:
    name: str
    kind: str  # "page" or "api"
    method: str
    path: str  # formatted with the world's primary keys
    login: str = "/en/accounts/login/"  # where an anonymous visitor is sent

    def url(self, world: World) -> str:
        return self.path.format(
            institution=world.institution.pk,
            cohort=world.cohort.pk,
            region="baku-city",
        )

    def call(self, client, world: World):
        url = self.url(world)
        if self.method == "get":
            return client.get(url)
        if "import" in self.name:
            return client.post(url, {"file": _csv_upload()})
        return client.post(
            url,
            {"name": "11-C", "code": "a-11c", "track": "school", "academic_year": "2026-2027"},
        )


E = Endpoint
ENDPOINTS = [
    E("dashboard", "page", "get", "/en/dashboard/"),
    E("institution", "page", "get", "/en/institutions/{institution}/"),
    E("cohort-create", "page", "get", "/en/institutions/{institution}/cohorts/new/"),
    E("cohort-create POST", "page", "post", "/en/institutions/{institution}/cohorts/new/"),
    E("cohort", "page", "get", "/en/cohorts/{cohort}/"),
    E("cohort-import", "page", "get", "/en/cohorts/{cohort}/import/"),
    E("cohort-import POST", "page", "post", "/en/cohorts/{cohort}/import/"),
    E("authoring", "page", "get", "/admin/", login="/admin/login/"),  # Wagtail, for teachers
    E("platform admin", "page", "get", "/django-admin/", login="/django-admin/login/"),
    E("api me", "api", "get", "/api/v1/me/"),
    E("api institutions", "api", "get", "/api/v1/institutions/"),
    E("api institution", "api", "get", "/api/v1/institutions/{institution}/"),
    E("api cohorts", "api", "get", "/api/v1/cohorts/"),
    E("api cohort", "api", "get", "/api/v1/cohorts/{cohort}/"),
    E("api cohort members", "api", "get", "/api/v1/cohorts/{cohort}/members/"),
    E("api cohort import", "api", "post", "/api/v1/cohorts/{cohort}/import/"),
    E("api regions", "api", "get", "/api/v1/regions/"),
    E("api region", "api", "get", "/api/v1/regions/{region}/"),
]

ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
LOGIN = "login"  # a redirect to the login page with ?next=
# fmt: off
EXPECTED = {
    #                       anonymous student t-other teacher a-other admin analyst staff
    "dashboard":            (LOGIN,    200,    200,    200,    200,    200,  200,    200),
    "institution":          (LOGIN,    403,    403,    403,    403,    200,  403,    403),
    "cohort-create":        (LOGIN,    403,    403,    403,    403,    200,  403,    403),
    "cohort-create POST":   (LOGIN,    403,    403,    403,    403,    302,  403,    403),
    "cohort":               (LOGIN,    403,    403,    200,    403,    200,  403,    403),
    "cohort-import":        (LOGIN,    403,    403,    403,    403,    200,  403,    403),
    "cohort-import POST":   (LOGIN,    403,    403,    403,    403,    302,  403,    403),
    "authoring":            (LOGIN,    LOGIN,  200,    200,    LOGIN,  LOGIN, LOGIN, LOGIN),
    "platform admin":       (LOGIN,    LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN, LOGIN, 200),
    "api me":               (401,      200,    200,    200,    200,    200,  200,    200),
    "api institutions":     (401,      200,    200,    200,    200,    200,  200,    200),
    "api institution":      (401,      200,    200,    200,    404,    200,  200,    404),
    "api cohorts":          (401,      200,    200,    200,    200,    200,  200,    200),
    "api cohort":           (401,      404,    404,    200,    404,    200,  404,    404),
    "api cohort members":   (401,      404,    404,    200,    404,    200,  404,    404),
    "api cohort import":    (401,      404,    404,    403,    404,    200,  404,    404),
    "api regions":          (200,      200,    200,    200,    200,    200,  200,    200),
    "api region":           (200,      200,    200,    200,    200,    200,  200,    200),
}
# fmt: on


def test_the_matrix_covers_every_endpoint():
    assert set(EXPECTED) == {endpoint.name for endpoint in ENDPOINTS}
    assert all(len(row) == len(ROLES) for row in EXPECTED.values())


CASES = [
    pytest.param(endpoint, role, EXPECTED[endpoint.name][i], id=f"{endpoint.name}-{role}")
    for endpoint in ENDPOINTS
    for i, role in enumerate(ROLES)
]


def _counts() -> tuple[int, int, int]:
    return User.objects.count(), Membership.objects.count(), Cohort.objects.count()


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES)
def test_permission_matrix(client, world, endpoint, role, expected):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    before = _counts()

    response = endpoint.call(client, world)

    url = endpoint.url(world)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{endpoint.login}?next={quote(url)}"
    else:
        assert response.status_code == expected, response.content[:500]
    if endpoint.kind == "api":
        assert response["Content-Type"] == "application/json"
        body = response.json()
        if expected >= 400:
            assert body["status"] == expected
            assert body["code"] == ERROR_CODES[expected]
            assert body["detail"]
    elif expected == 403:
        assert "403.html" in [t.name for t in response.templates]
        assert "Access denied" in response.content.decode()
    if expected in (LOGIN, 401, 403, 404):
        assert _counts() == before, "a refused request must write nothing"


def _codes(response) -> set[str]:
    assert response.status_code == 200
    return {item["code"] for item in response.json()["results"]}


@pytest.mark.parametrize(
    ("role", "cohorts"),
    [
        ("student", set()),
        ("teacher_other", {"a-9b"}),
        ("teacher", {"a-9a"}),
        ("admin_other", {"b-9a"}),
        ("admin", {"a-9a", "a-9b"}),
        ("analyst", set()),
        ("staff", set()),
    ],
)
def test_cohort_list_holds_only_what_the_role_may_see(client, world, role, cohorts):
    client.force_login(world.users[role])
    assert _codes(client.get("/api/v1/cohorts/")) == cohorts


@pytest.mark.parametrize(
    ("role", "institutions"),
    [
        ("student", {"school-a"}),
        ("teacher_other", {"school-a"}),
        ("teacher", {"school-a"}),
        ("admin_other", {"school-b"}),
        ("admin", {"school-a"}),
        # institutions are public facts for the ministry; people are not
        ("analyst", {"school-a", "school-b", "__ministry__"}),
        ("staff", set()),
    ],
)
def test_institution_list_holds_only_what_the_role_may_see(client, world, role, institutions):
    if "__ministry__" in institutions:
        ministry = Membership.objects.get(user=world.users["analyst"]).institution
        institutions = institutions - {"__ministry__"} | {ministry.code}
    client.force_login(world.users[role])
    assert _codes(client.get("/api/v1/institutions/")) == institutions


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_members_list_the_cohort_only(client, world, role):
    client.force_login(world.users[role])
    members = client.get(f"/api/v1/cohorts/{world.cohort.pk}/members/").json()["results"]
    usernames = {m["username"] for m in members if m["role"] == "student"}
    assert usernames == {STUDENT["username"], CLASSMATE["username"]}


def _every_response(client, world):
    for endpoint in ENDPOINTS:
        yield endpoint, endpoint.call(client, world)
    # what the analyst's own pages link to: the home page and the API root
    for path in ("/en/", "/api/v1/"):
        yield path, client.get(path)


def test_a_ministry_analyst_never_sees_a_student(client, world):
    client.force_login(world.users["analyst"])
    for what, response in _every_response(client, world):
        text = response.content.decode()
        for person in (STUDENT, CLASSMATE):
            for value in person.values():
                assert value not in text, f"{what} shows {value} to the analyst"


def _national_rows(html: str) -> dict[str, list[str]]:
    section = html.split('data-testid="ministry-home"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", section, flags=re.S)
    return {
        label: [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td.*?</td>", rest, re.S)
        ]
        for label, rest in rows
    }


def test_the_analyst_sees_counts_and_small_groups_are_suppressed(client, world, settings):
    settings.REPORTS_MIN_GROUP_SIZE = 2
    client.force_login(world.users["analyst"])
    rows = _national_rows(client.get("/en/dashboard/").content.decode())
    # institutions, cohorts, students; the school track has two students in 9-A
    assert rows["School"] == ["2", "3", "2"]
    assert rows["University"] == ["0", "0", "suppressed"]

    settings.REPORTS_MIN_GROUP_SIZE = 3
    rows = _national_rows(client.get("/en/dashboard/").content.decode())
    assert rows["School"] == ["2", "3", "suppressed"]


def test_a_student_sees_only_their_own_records(client, world):
    client.force_login(world.users["student"])
    own = client.get("/api/v1/me/").json()
    assert own["username"] == STUDENT["username"]
    for what, response in _every_response(client, world):
        text = response.content.decode()
        for value in CLASSMATE.values():
            assert value not in text, f"{what} shows a classmate's {value} to a student"


def test_a_page_for_a_missing_object_is_not_found(client, world):
    client.force_login(world.users["admin"])
    response = client.get("/en/cohorts/999999/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


def test_read_only_api_refuses_writes_with_json(client, world):
    client.force_login(world.users["admin"])
    response = client.delete(f"/api/v1/cohorts/{world.cohort.pk}/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Cohort.objects.filter(pk=world.cohort.pk).exists()
