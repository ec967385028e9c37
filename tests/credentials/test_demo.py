"""The demo pupil holds one real credential (a completed course, signed, verifiable), and
loading the demo again issues no second one."""

import pytest

from credentials import selectors
from credentials.models import Credential
from demo import courses as demo_courses
from demo import credentials as demo_credentials
from demo import people as demo_people

pytestmark = pytest.mark.django_db


def test_the_demo_pupil_has_one_issued_credential(client):
    demo_people.load()
    demo_courses.load()
    first = demo_credentials.load()
    again = demo_credentials.load()

    (credential,) = Credential.objects.filter(student__username="pupil")
    assert first == again == credential
    verdict = selectors.verify_stored(credential)
    assert verdict.status == "valid" and verdict.shown.holder == "Aysel Aliyeva"
    client.force_login(credential.student)
    dashboard = client.get("/en/dashboard/").content.decode()
    assert 'data-testid="credential"' in dashboard and credential.achievement["name"] in dashboard
