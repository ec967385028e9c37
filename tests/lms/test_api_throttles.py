"""The API's throttles: beyond its rate a client gets 429 with Retry-After and the API's
JSON error body. Anonymous clients count by address, signed-in users by account, and the
expensive endpoints have budgets of their own (auth, submissions, imports, reports).

The suite runs without throttles (lms/settings/test.py); each test here switches on the
rates of lms/settings/base.py, or small ones of the same shape where a test would
otherwise send hundreds of requests.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from lms.settings import base
from tests.factories import PASSWORD, CohortFactory, UserFactory, admin_of, analyst, student_in

pytestmark = pytest.mark.django_db

RATES = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


@pytest.fixture
def rates(settings):
    """Switch the throttles on; a test may lower a rate with rates(scope="2/minute")."""

    def set_rates(**changes):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**RATES, **changes},
        }

    cache.clear()
    set_rates()
    yield set_rates
    cache.clear()


def _assert_throttled(response, lang="en"):
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    body = response.json()
    assert body["status"] == 429 and body["code"] == "throttled"
    if lang == "en":
        assert body["detail"].startswith("Too many requests. Please try again in ")
    return body


def test_every_scope_has_a_production_rate():
    assert {"anon", "user", "auth", "submissions", "imports", "reports"} <= set(RATES)
    assert all(RATES[scope] for scope in ("anon", "user", "auth", "submissions", "imports"))
    assert base.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_the_token_endpoint_answers_at_most_its_rate_per_address(rates):
    UserFactory(username="aysel")
    limit = int(RATES["auth"].split("/")[0])
    api = APIClient()
    for i in range(limit):
        response = api.post("/api/v1/auth/token/", {"username": f"user{i}", "password": "x"})
        assert response.status_code == 400
    # even the right password waits: it may be the one a guesser found
    response = api.post("/api/v1/auth/token/", {"username": "aysel", "password": PASSWORD})
    _assert_throttled(response)
    # a forged X-Forwarded-For does not make a new client
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "aysel", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    _assert_throttled(response)
    # another address is another client
    other = APIClient(REMOTE_ADDR="10.20.30.40")
    response = other.post("/api/v1/auth/token/", {"username": "aysel", "password": PASSWORD})
    assert response.status_code == 200


def test_the_sentence_of_a_429_is_translated(rates):
    rates(auth="1/minute")
    api = APIClient()
    api.post("/api/v1/auth/token/", {"username": "a", "password": "b"})
    response = api.post(
        "/api/v1/auth/token/", {"username": "a", "password": "b"}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    body = _assert_throttled(response, lang="ru")
    assert body["detail"].startswith("Слишком много запросов")


def test_submissions_have_their_own_budget_and_polling_is_not_in_it(rates):
    rates(submissions="3/minute")
    student = student_in(CohortFactory())
    api = APIClient()
    api.force_authenticate(student)
    # no such exercise: still a request the budget counts (the throttle comes first)
    for _ in range(3):
        assert api.post("/api/v1/exercises/999999/submit/", {}, format="json").status_code == 404
    _assert_throttled(api.post("/api/v1/exercises/999999/submit/", {}, format="json"))
    # reading submissions (the page polls them) is not limited by that budget
    for _ in range(10):
        assert api.get("/api/v1/submissions/").status_code == 200
    # nor is another student's
    other = APIClient()
    other.force_authenticate(student_in(CohortFactory()))
    assert other.post("/api/v1/exercises/999999/submit/", {}, format="json").status_code == 404


def test_regrades_share_the_submissions_budget(rates):
    rates(submissions="2/minute")
    api = APIClient()
    api.force_authenticate(UserFactory())
    uid = "00000000-0000-0000-0000-000000000000"
    for _ in range(2):
        assert api.post(f"/api/v1/submissions/{uid}/regrade/").status_code == 404
    _assert_throttled(api.post(f"/api/v1/submissions/{uid}/regrade/"))


def test_imports_have_their_own_budget(rates):
    rates(imports="2/hour")
    cohort = CohortFactory()
    api = APIClient()
    api.force_authenticate(admin_of(cohort.institution))
    for _ in range(2):
        response = api.post(f"/api/v1/cohorts/{cohort.pk}/import/", {}, format="multipart")
        assert response.status_code == 400  # no file
    response = api.post(f"/api/v1/cohorts/{cohort.pk}/import/", {}, format="multipart")
    body = _assert_throttled(response)
    assert int(response["Retry-After"]) > 60  # an hourly budget: the wait is long
    assert body["detail"] != ""


def test_reports_have_their_own_budget(rates):
    rates(reports="2/minute")
    api = APIClient()
    api.force_authenticate(analyst())
    for _ in range(2):
        assert api.get("/api/v1/reports/", {"period": "1999-01"}).status_code in (200, 400)
    _assert_throttled(api.get("/api/v1/reports/", {"period": "1999-01"}))


def test_anonymous_clients_count_by_address_and_users_by_account(rates):
    rates(anon="3/minute", user="4/minute")
    anon = APIClient()
    for _ in range(3):
        assert anon.get("/api/v1/regions/").status_code == 200
    _assert_throttled(anon.get("/api/v1/regions/"))

    # a signed-in user from the same address has their own budget
    user = APIClient()
    user.force_authenticate(UserFactory())
    for _ in range(4):
        assert user.get("/api/v1/regions/").status_code == 200
    _assert_throttled(user.get("/api/v1/regions/"))
