"""Ministry staff edit frameworks in the Wagtail admin: names of shipped ones, everything of
national ones; only with the permission."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, querydict_from_html

from curricula.models import Competence, CompetenceFramework
from curricula.permissions import FRAMEWORK_EDITORS_GROUP, competence_framework_policy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAMESPACE = "wagtailsnippets_curricula_competenceframework"


def url(action, *args):
    return reverse(f"{NAMESPACE}:{action}", args=args)


@pytest.fixture
def editor(client):
    user = UserFactory(username="framework-editor")
    user.groups.add(Group.objects.get(name=FRAMEWORK_EDITORS_GROUP))
    client.force_login(user)
    return user


@pytest.fixture
def digcomp():
    return CompetenceFramework.objects.get(slug="digcomp-2-2")


_edit_forms = {}  # the editor of a shipped framework is large: render it once per run


def edit_form_data(client, framework):
    """What the browser would post back unchanged from the framework's edit page."""
    if framework.pk not in _edit_forms:
        response = client.get(url("edit", framework.pk))
        assert response.status_code == 200
        _edit_forms[framework.pk] = querydict_from_html(
            response.content.decode(), form_id="w-editor-form"
        )
    return _edit_forms[framework.pk].copy()


def national_framework_data(**overrides):
    data = {
        "name_en": "National digital skills framework",
        "name_az": "Milli rəqəmsal bacarıqlar çərçivəsi",
        "name_ru": "Национальная рамка цифровых навыков",
        "slug": "national-2026",
        "kind": "national",
        "levels": inline_formset(
            [
                {"number": "1", "name_en": "Basic", "name_az": "Əsas", "name_ru": "Базовый"},
                {"number": "2", "name_en": "Proficient"},
            ]
        ),
        "areas": inline_formset(
            [
                {
                    "code": "A",
                    "name_en": "Cyber hygiene",
                    "competences": inline_formset(
                        [
                            {"code": "A.1", "name_en": "Strong passwords"},
                            {"code": "A.2", "name_en": "Phishing"},
                        ]
                    ),
                },
                {
                    "code": "B",
                    "name_en": "E-government",
                    "competences": inline_formset([{"code": "B.1", "name_en": "ASAN services"}]),
                },
            ]
        ),
    }
    data.update(overrides)
    return nested_form_data(data)


def test_without_the_permission_the_editor_is_closed(client):
    user = UserFactory(username="teacher-only", is_staff=True)
    client.force_login(user)

    response = client.get(url("list"))

    assert response.status_code in (302, 403)


def test_framework_editors_see_the_frameworks_in_their_language(client, editor):
    response = client.get(url("list"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    assert "DigComp 2.2: The Digital Competence Framework for Citizens" in html
    assert "UNESCO AI competency framework for teachers" in html


def test_framework_editors_add_a_national_framework_with_nested_areas(client, editor):
    response = client.post(url("add"), national_framework_data())

    assert response.status_code == 302, response.content.decode()[:2000]
    framework = CompetenceFramework.objects.get(slug="national-2026")
    assert framework.kind == "national"
    assert list(framework.levels.values_list("number", flat=True)) == [1, 2]
    competences = Competence.objects.filter(area__framework=framework)
    assert sorted(competences.values_list("code", flat=True)) == ["A.1", "A.2", "B.1"]


def test_competence_codes_are_unique_within_a_framework(client, editor):
    data = national_framework_data(
        areas=inline_formset(
            [
                {"code": "A", "name_en": "A", "competences": inline_formset([{"code": "X.1"}])},
                {"code": "B", "name_en": "B", "competences": inline_formset([{"code": "X.1"}])},
            ]
        )
    )
    data = nested_form_data({**data})
    for key in ("areas-0-competences-0-name_en", "areas-1-competences-0-name_en"):
        data[key] = "Same code twice"

    response = client.post(url("add"), data)

    assert response.status_code == 200
    assert "Each competence code may appear once in a framework: X.1" in response.content.decode()
    assert not CompetenceFramework.objects.filter(slug="national-2026").exists()


def test_a_second_digcomp_is_refused(client, editor):
    response = client.post(url("add"), national_framework_data(kind="digcomp"))

    assert response.status_code == 200
    assert CompetenceFramework.objects.filter(kind="digcomp").count() == 1


def test_names_of_a_shipped_framework_can_be_corrected(client, editor, digcomp):
    data = edit_form_data(client, digcomp)
    assert data["areas-0-code"] == "1"
    data["areas-3-name_az"] = "Təhlükəsizlik (düzəliş)"
    data["areas-2-competences-3-name_ru"] = "Программирование (исправлено)"

    response = client.post(url("edit", digcomp.pk), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert digcomp.areas.get(code="4").name_az == "Təhlükəsizlik (düzəliş)"
    programming = Competence.objects.get(area__framework=digcomp, code="3.4")
    assert programming.name_ru == "Программирование (исправлено)"
    assert Competence.objects.filter(area__framework=digcomp).count() == 21


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("areas-2-competences-3-code", "3.9"),  # a changed code
        ("areas-4-competences-3-DELETE", "1"),  # a removed competence
        ("levels-7-DELETE", "1"),  # a removed level
        ("slug", "digcomp"),
    ],
)
def test_the_structure_of_a_shipped_framework_is_fixed(client, editor, digcomp, field, value):
    data = edit_form_data(client, digcomp)
    data[field] = value

    response = client.post(url("edit", digcomp.pk), data)

    assert response.status_code == 200
    assert "ships with the platform" in response.content.decode()
    assert Competence.objects.filter(area__framework=digcomp, code="3.4").exists()
    assert digcomp.levels.count() == 8


def test_shipped_frameworks_cannot_be_deleted_national_ones_can(client, editor, digcomp):
    client.post(url("add"), national_framework_data())
    national = CompetenceFramework.objects.get(slug="national-2026")

    assert not competence_framework_policy.user_has_permission_for_instance(
        editor, "delete", digcomp
    )
    assert competence_framework_policy.user_has_permission_for_instance(editor, "delete", national)
    client.post(url("delete", digcomp.pk))
    assert CompetenceFramework.objects.filter(pk=digcomp.pk).exists()
    assert client.post(url("delete", national.pk)).status_code == 302
    assert not CompetenceFramework.objects.filter(pk=national.pk).exists()
