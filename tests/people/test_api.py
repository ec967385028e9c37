"""The API as a client sees it: the root, the schema and docs, authentication, error
bodies, pagination, filtering and search."""

from __future__ import annotations

import json

import pytest
import yaml
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from people.models import Region, Track
from tests.factories import PASSWORD, CohortFactory, UserFactory, admin_of


@pytest.fixture
def api(db) -> APIClient:
    return APIClient()


def test_the_root_lists_every_endpoint_to_anyone(api):
    response = api.get("/api/v1/")
    assert response.status_code == 200
    expected = {
        "regions": "http://testserver/api/v1/regions/",
        "institutions": "http://testserver/api/v1/institutions/",
        "cohorts": "http://testserver/api/v1/cohorts/",
        "me": "http://testserver/api/v1/me/",
        "auth/token": "http://testserver/api/v1/auth/token/",
    }
    # other apps add their own endpoints to the same root
    assert expected.items() <= response.json().items()


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_the_schema_is_openapi_3_and_describes_the_api(api, fmt):
    response = api.get(f"/api/schema/?format={fmt}")
    assert response.status_code == 200
    text = response.content.decode()
    schema = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/cohorts/",
        "/api/v1/cohorts/{id}/",
        "/api/v1/cohorts/{id}/members/",
        "/api/v1/cohorts/{id}/import/",
        "/api/v1/institutions/",
        "/api/v1/regions/",
        "/api/v1/me/",
        "/api/v1/auth/token/",
    ):
        assert path in schema["paths"], path
    # the platform's API only: Wagtail's internal admin API is not for clients
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert {"tokenAuth", "cookieAuth"} <= set(schemes)
    import_op = schema["paths"]["/api/v1/cohorts/{id}/import/"]["post"]
    assert "multipart/form-data" in import_op["requestBody"]["content"]


def test_the_docs_page_is_served_without_a_cdn(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode().lower()
    assert "swagger" in html
    for cdn in ("cdn", "unpkg", "jsdelivr", "googleapis", "cloudflare"):
        assert cdn not in html, cdn
    assert "/static/drf_spectacular_sidecar/" in html
    assert "/api/schema/" in html


def test_token_authentication(api):
    user = UserFactory(username="aysel")
    response = api.post("/api/v1/auth/token/", {"username": "aysel", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=user).key

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "aysel"


def test_a_wrong_token_is_a_401_with_a_json_body(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "authentication_failed",
        "detail": "Invalid token.",
    }
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "credentials",
    [{"username": "aysel", "password": "wrong"}, {"username": "nobody", "password": PASSWORD}],
    ids=["wrong-password", "unknown-user"],
)
def test_wrong_credentials_get_a_400_json_error(api, credentials):
    UserFactory(username="aysel")
    response = api.post("/api/v1/auth/token/", credentials)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "code": "invalid",
        "detail": "Some fields are invalid: Unable to log in with provided credentials.",
        "errors": {"non_field_errors": ["Unable to log in with provided credentials."]},
    }


def test_session_authentication_needs_csrf_for_writes(db):
    user = UserFactory()
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    assert api.get("/api/v1/me/").status_code == 200
    response = api.patch("/api/v1/me/", {"first_name": "Changed"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/nothing/", "/api/v1/nothing/", "/api/v1/nothing", "/api/v2/cohorts/"]
)
def test_an_unknown_endpoint_is_a_404_json_body(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body == {
        "status": 404,
        "code": "not_found",
        "detail": f"No API endpoint at {path}. The API root is /api/v1/.",
    }


def test_a_missing_object_is_a_404_json_body(api):
    api.force_authenticate(UserFactory())
    response = api.get("/api/v1/regions/no-such-region/")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "Not found."}


def test_a_validation_error_names_each_field(api):
    user = UserFactory()
    api.force_authenticate(user)
    response = api.patch(
        "/api/v1/me/", {"email": "not-an-email", "preferred_language": "xx"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "invalid"
    assert body["detail"].startswith("Some fields are invalid: ")
    assert body["errors"] == {
        "email": ["Enter a valid email address."],
        "preferred_language": ['"xx" is not a valid choice.'],
    }
    user.refresh_from_db()
    assert user.email != "not-an-email"


def test_me_can_be_updated(api):
    user = UserFactory()
    api.force_authenticate(user)
    response = api.patch("/api/v1/me/", {"preferred_language": "az"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.preferred_language == "az"
    # the username is not the user's to change
    api.patch("/api/v1/me/", {"username": "someone-else"}, format="json")
    user.refresh_from_db()
    assert user.username != "someone-else"


def test_malformed_json_is_a_400_json_body(api):
    api.force_authenticate(UserFactory())
    response = api.generic("PATCH", "/api/v1/me/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_me_takes_a_json_object_only(api):
    """A form or multipart body parses to nothing, which would pass as "change nothing"."""
    api.force_authenticate(UserFactory())
    for method in ("PUT", "PATCH"):
        response = api.generic(
            method,
            "/api/v1/me/",
            "--b\r\n0--b--\r\n",
            content_type="multipart/form-data; boundary=b",
        )
        assert response.status_code == 415, method
        assert response.json()["code"] == "unsupported_media_type"
    response = api.generic("PUT", "/api/v1/me/", "0", content_type="application/json")
    assert response.status_code == 400


@pytest.fixture
def admin_with_cohorts(db):
    admin = admin_of(CohortFactory(track=Track.SCHOOL, code="school-9a", name="9-A").institution)
    institution = admin.memberships.get().institution
    CohortFactory(institution=institution, track=Track.SCHOOL, code="school-10b", name="10-B")
    CohortFactory(institution=institution, track=Track.UNIVERSITY, code="uni-cs21", name="CS-21")
    return admin


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


def test_pagination_pages_through_everything(api, admin_with_cohorts):
    api.force_authenticate(admin_with_cohorts)
    first = api.get("/api/v1/cohorts/?page_size=2").json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    codes = {c["code"] for c in first["results"] + second["results"]}
    assert codes == {"school-9a", "school-10b", "uni-cs21"}


def test_a_page_beyond_the_end_is_a_404_json_body(api, admin_with_cohorts):
    api.force_authenticate(admin_with_cohorts)
    response = api.get("/api/v1/cohorts/?page=9")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_page_size_is_capped(api, db):
    Region.objects.bulk_create(
        Region(code=f"test-city-{i}", kind=Region.Kind.CITY, name_en=f"Test city {i}")
        for i in range(510)
    )
    response = api.get("/api/v1/regions/?page_size=10000")
    assert len(response.json()["results"]) == 500
    default = api.get("/api/v1/regions/")
    assert len(default.json()["results"]) == 50


def test_filtering_by_track(api, admin_with_cohorts):
    api.force_authenticate(admin_with_cohorts)
    assert sorted(_codes(api.get("/api/v1/cohorts/?track=school"))) == ["school-10b", "school-9a"]
    assert _codes(api.get("/api/v1/cohorts/?track=university")) == ["uni-cs21"]


def test_an_unknown_filter_value_is_a_validation_error(api, admin_with_cohorts):
    api.force_authenticate(admin_with_cohorts)
    response = api.get("/api/v1/cohorts/?track=kindergarten")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["track"]


def test_search_and_ordering(api, admin_with_cohorts):
    api.force_authenticate(admin_with_cohorts)
    assert _codes(api.get("/api/v1/cohorts/?search=CS-21")) == ["uni-cs21"]
    assert _codes(api.get("/api/v1/cohorts/?ordering=-code")) == [
        "uni-cs21",
        "school-9a",
        "school-10b",
    ]


def test_regions_filter_and_search(api):
    cities = _codes(api.get("/api/v1/regions/?kind=city&page_size=500"))
    assert "baku-city" in cities and "ganja" in cities
    assert "baku" not in cities  # the economic region, not the city
    assert _codes(api.get("/api/v1/regions/?search=Sumqayıt")) == ["sumgait"]


def test_the_api_speaks_the_language_asked_for(api):
    response = api.get("/api/v1/regions/ganja/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.json()["name"] == "Гянджа"
    response = api.get("/api/v1/regions/ganja/", HTTP_ACCEPT_LANGUAGE="az")
    assert response.json()["name"] == "Gəncə"
