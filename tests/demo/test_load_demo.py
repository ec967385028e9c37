"""`manage.py load_demo`: idempotent, and every printed credential opens its dashboard."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.core.management import call_command

from demo import country
from demo.people import Credential
from people.models import Cohort, Institution, Membership, Track, User

pytestmark = pytest.mark.django_db

# "  role (note)   username   password   (what it is)"
CREDENTIAL_LINE = re.compile(
    r"^\s{2}(?P<role>\S.*?)\s{2,}(?P<username>\S+)\s+(?P<password>\S+)\s+\((?P<note>.*)\)$"
)

SECTION_OF_ROLE = [
    ("student", "student-home"),
    ("teacher", "teacher-home"),
    ("curriculum lead", "teacher-home"),
    ("institution admin", "institution-admin-home"),
    ("ministry analyst", "ministry-home"),
    ("platform staff", "no-role-home"),
]


def _load() -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    lines = out.getvalue().splitlines()
    assert "Demo country loaded" in lines[0]
    return [m.groupdict() for line in lines[1:] if (m := CREDENTIAL_LINE.match(line))]


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "institutions": Institution.objects.count(),
        "cohorts": Cohort.objects.count(),
        "memberships": Membership.objects.count(),
    }


def test_loading_twice_adds_nothing():
    first = _load()
    counts = _counts()
    second = _load()
    assert _counts() == counts
    assert first == second


def test_the_demo_country_has_every_track_and_several_regions():
    _load()
    assert set(Cohort.objects.values_list("track", flat=True)) == set(Track.values)
    regions = Institution.objects.exclude(kind=Institution.Kind.MINISTRY).values("region")
    assert regions.distinct().count() >= 3
    # aggregates need real groups: some cohort reaches the privacy threshold
    assert any(
        Membership.objects.filter(cohort=cohort, role="student").count() >= 10
        for cohort in Cohort.objects.all()
    )


def test_every_printed_credential_logs_in_to_its_dashboard(client, settings):
    settings.AXES_ENABLED = True  # through the login lockout, as on a real installation
    credentials = _load()
    roles = {c["role"] for c in credentials}
    for prefix, _section in SECTION_OF_ROLE:
        assert any(role.startswith(prefix) for role in roles), f"no demo user for {prefix}"

    for credential in credentials:
        section = next(s for prefix, s in SECTION_OF_ROLE if credential["role"].startswith(prefix))
        response = client.post(
            "/en/accounts/login/",
            {"username": credential["username"], "password": credential["password"]},
        )
        assert response.status_code == 302, f"{credential['username']} cannot log in"
        assert response["Location"] == "/en/dashboard/"
        page = client.get("/en/dashboard/").content.decode()
        assert f'data-testid="{section}"' in page, credential
        client.post("/en/accounts/logout/")


def test_a_second_load_resets_a_changed_demo_password(client):
    credentials = _load()
    pupil = next(c for c in credentials if c["username"] == "pupil")
    user = User.objects.get(username="pupil")
    user.set_password("changed-by-a-visitor-2026")
    user.save()
    _load()
    assert client.login(username="pupil", password=pupil["password"])


@pytest.mark.parametrize(("verbosity", "shown"), [(1, False), (2, True)])
def test_wagtail_page_log_only_with_verbosity_2(monkeypatch, caplog, verbosity, shown):
    def load():
        logging.getLogger("wagtail").info('Page created: "Curricula"')
        return [Credential("teacher", "teacher", "secret", "a note")]

    monkeypatch.setattr(country, "load", load)
    out = io.StringIO()
    with caplog.at_level(logging.INFO):
        call_command("load_demo", verbosity=verbosity, stdout=out)

    assert ("Page created" in caplog.text) is shown
    assert "teacher      secret   (a note)" in out.getvalue()
    assert logging.getLogger("wagtail").level == logging.NOTSET  # restored afterwards
