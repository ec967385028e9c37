"""GET /api/v1/frameworks/: public, one language at a time, a fixed number of queries."""

import pytest
from rest_framework.test import APIClient

from curricula.models import Competence, CompetenceArea, CompetenceFramework, ProficiencyLevel

pytestmark = pytest.mark.django_db

URL = "/api/v1/frameworks/"


@pytest.fixture
def api():
    return APIClient()


def by_slug(response):
    return {f["slug"]: f for f in response.json()["results"]}


def test_anyone_lists_the_frameworks_with_levels_areas_and_competences(api):
    response = api.get(URL)

    assert response.status_code == 200
    frameworks = by_slug(response)
    assert list(frameworks) == ["digcomp-2-2", "unesco-ai-students", "unesco-ai-teachers"]
    digcomp = frameworks["digcomp-2-2"]
    assert digcomp["name"] == "DigComp 2.2: The Digital Competence Framework for Citizens"
    assert digcomp["levels"][0] == {"number": 1, "name": "Level 1", "band": "Foundation"}
    assert [level["number"] for level in digcomp["levels"]] == list(range(1, 9))
    assert [area["code"] for area in digcomp["areas"]] == ["1", "2", "3", "4", "5"]
    assert digcomp["areas"][2]["competences"][3] == {
        "code": "3.4",
        "name": "Programming",
        "level": None,
    }
    assert sum(len(a["competences"]) for a in digcomp["areas"]) == 21
    students = frameworks["unesco-ai-students"]
    assert [level["name"] for level in students["levels"]] == ["Understand", "Apply", "Create"]
    assert students["areas"][1]["competences"][2] == {
        "code": "2.3",
        "name": "Ethics by design",
        "level": 3,
    }


def test_names_follow_accept_language(api):
    response = api.get(URL, HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    digcomp = by_slug(response)["digcomp-2-2"]
    assert digcomp["name"] == "DigComp 2.2: Рамка цифровых компетенций для граждан"
    assert digcomp["areas"][3]["name"] == "Безопасность"
    assert digcomp["areas"][2]["competences"][3]["name"] == "Программирование"
    assert digcomp["levels"][4]["band"] == "Продвинутый"


def test_lang_parameter_wins_over_the_header(api):
    response = api.get(URL, {"lang": "az"}, HTTP_ACCEPT_LANGUAGE="ru")

    assert response["Content-Language"] == "az"
    teachers = by_slug(response)["unesco-ai-teachers"]
    assert [level["name"] for level in teachers["levels"]] == [
        "Mənimsəmə",
        "Dərinləşdirmə",
        "Yaratma",
    ]


def test_one_framework_by_slug(api):
    response = api.get(f"{URL}unesco-ai-teachers/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "unesco-ai-teachers"
    assert [area["name"] for area in body["areas"]][-1] == "AI for professional development"
    assert sum(len(a["competences"]) for a in body["areas"]) == 15


def test_an_unknown_slug_is_404(api):
    assert api.get(f"{URL}no-such-framework/").status_code == 404


def test_filter_by_kind(api):
    response = api.get(URL, {"kind": "unesco-students"})

    assert [f["slug"] for f in response.json()["results"]] == ["unesco-ai-students"]


def test_the_api_is_read_only(api):
    assert api.post(URL, {"slug": "x"}).status_code in (401, 403, 405)


def add_national_framework(slug: str, areas: int = 3, competences: int = 4) -> None:
    framework = CompetenceFramework.objects.create(slug=slug, name_en=slug, kind="national")
    ProficiencyLevel.objects.create(framework=framework, number=1, name_en="Basic")
    for a in range(1, areas + 1):
        area = CompetenceArea.objects.create(framework=framework, code=str(a), name_en=f"A{a}")
        for c in range(1, competences + 1):
            Competence.objects.create(area=area, code=f"{a}.{c}", name_en=f"C{a}.{c}")


def test_the_list_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    # count, frameworks, levels, areas, competences
    with django_assert_max_num_queries(5):
        assert api.get(URL).status_code == 200
    add_national_framework("national-1")
    add_national_framework("national-2")
    with django_assert_max_num_queries(5):
        response = api.get(URL)
    assert len(response.json()["results"]) == 5
    with django_assert_max_num_queries(4):
        assert api.get(f"{URL}national-1/").status_code == 200


def test_the_schema_documents_the_endpoints(api):
    response = api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/frameworks/" in paths
    assert "/api/v1/frameworks/{slug}/" in paths
    parameters = {p["name"] for p in paths["/api/v1/frameworks/"]["get"]["parameters"]}
    assert {"lang", "kind"} <= parameters
