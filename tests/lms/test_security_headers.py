"""Content-Security-Policy and Permissions-Policy.

The platform's pages allow scripts and styles from the platform's own static files only:
an injected <script>, on*= handler or style= attribute does nothing. Wagtail's and
Django's admins (which write inline scripts) get a relaxed policy of their own, under
their prefixes only; a submission's feedback page keeps its stricter one. The browser
tests (tests/e2e/conftest.py) fail a page on any CSP violation in the console.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from grading import services
from grading.models import Submission
from tests.factories import CohortFactory, UserFactory, staff_user, student_in
from tests.grading.factories import classroom, submission_notebook

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("lms", "people", "cms", "curricula", "evidence", "courses", "grading", "reports", "demo")


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    "path", ["/en/", "/en/accounts/login/", "/az/accounts/password_reset/", "/en/dashboard/"]
)
def test_platform_pages_allow_only_the_platforms_own_scripts_and_styles(client, path):
    client.force_login(student_in(CohortFactory()))
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_error_pages_and_the_api_carry_the_policy_too(client):
    assert "script-src 'self'" in client.get("/en/no-such-page/")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/api/v1/")["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/admin/login/", "/django-admin/login/"])
def test_the_admins_get_their_relaxed_policy_and_only_they(client, path):
    response = client.get(path)
    policy = _policy(response)
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    # a platform page whose path merely mentions the admin is not relaxed
    other = client.get("/en/accounts/login/?next=/admin/")
    assert _policy(other)["script-src"] == ["'self'"]


def test_the_feedback_page_keeps_its_own_stricter_policy():
    room = classroom()
    submission = services.submission_create(
        exercise=room.exercise,
        student=room.student,
        notebook=submission_notebook(room.exercise),
        origin=Submission.Origin.UPLOAD,
    )
    api = APIClient()
    api.force_authenticate(room.student)
    response = api.get(f"/api/v1/submissions/{submission.uid}/feedback/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "script-src 'none'; sandbox allow-same-origin"


def test_permissions_policy_switches_off_what_no_page_uses(client):
    header = client.get("/en/accounts/login/")["Permissions-Policy"]
    features = dict(item.strip().split("=") for item in header.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert features[feature] == "()", feature
    assert client.get("/api/v1/")["Permissions-Policy"] == header


def test_the_api_docs_load_their_script_from_a_url_not_inline(client):
    client.force_login(UserFactory())
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not _inline_scripts(html)
    assert "<style" not in html and " style=" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]
    script_url = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html)
    assert script_url, html
    script = client.get(script_url.group(1).replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "/api/schema/" in script.content.decode()


# --- what the pages are made of ---------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)


def _inline_scripts(html: str) -> list[str]:
    return INLINE_SCRIPT.findall(html)


def _templates():
    for app in APPS:
        yield from sorted((ROOT / app).glob("**/templates/**/*.html"))


def _python_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (INLINE_SCRIPT, "an inline <script>"),
        (EVENT_HANDLER, "an on*= event handler"),
        (STYLE_ATTRIBUTE, "a style= attribute"),
        (STYLE_ELEMENT, "a <style> element"),
    ],
)
def test_no_template_or_markup_in_code_needs_unsafe_inline(pattern, what):
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)[:80]}"
        for path in [*_templates(), *_python_sources()]
        for match in pattern.finditer(path.read_text())
    ]
    assert not offenders, f"{what} would be blocked by the CSP:\n" + "\n".join(offenders)


def test_the_scan_finds_what_it_looks_for():
    html = (
        '<script>alert(1)</script><select onchange="x()"><span style="width: 5%"><style>p{}</style>'
    )
    assert _inline_scripts(html)
    assert EVENT_HANDLER.search(html) and STYLE_ATTRIBUTE.search(html)
    assert STYLE_ELEMENT.search(html)
    allowed = '<script src="/x.js" defer></script><script type="application/json">{}</script>'
    assert not _inline_scripts(allowed)


def test_staff_reach_the_django_admin_under_its_policy(client):
    client.force_login(staff_user(is_superuser=True))
    response = client.get("/django-admin/")
    assert response.status_code == 200
    assert "'unsafe-inline'" in _policy(response)["script-src"]
