"""Who sees what: the verification page is anyone's; the credential file and the
certificate are the holder's (and staff's); the API lists only the caller's own. The
certificate's QR code opens the verification page. Revoking by command and in the admin."""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from credentials import services
from credentials.models import Credential
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(room):
    student = room.student(username="aysel", first_name="Aysel", last_name="Aliyeva")
    room.complete(student)
    services.credential_issue(student_id=student.pk, course_id=room.course.pk)
    return student


@pytest.fixture
def credential(holder) -> Credential:
    return Credential.objects.get(student=holder)


def test_a_classmate_cannot_take_someones_credential_file_or_certificate(client, room, credential):
    classmate = room.student(username="murad")
    client.force_login(classmate)
    for name in ("credential.jwt", "certificate.pdf"):
        response = client.get(f"/en/credentials/{credential.pk}/{name}")
        assert response.status_code == 403
        assert credential.jws.encode() not in response.content


def test_an_anonymous_visitor_is_sent_to_log_in_for_the_files(client, credential):
    response = client.get(f"/en/credentials/{credential.pk}/credential.jwt")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_holder_downloads_the_signed_credential(client, holder, credential):
    client.force_login(holder)
    response = client.get(f"/en/credentials/{credential.pk}/credential.jwt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwt"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == credential.jws


def test_staff_may_take_the_files(client, credential):
    client.force_login(staff_user())
    assert client.get(f"/en/credentials/{credential.pk}/credential.jwt").status_code == 200


def test_the_verification_page_is_public(client, credential):
    response = client.get(f"/en/credentials/{credential.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="valid"' in html
    assert "Aysel Aliyeva" in html and "Python first steps" in html
    assert "Baku School No. 6" in html


def test_the_certificate_has_a_qr_code_of_the_verification_page(client, holder, credential):
    client.force_login(holder)
    response = client.get(f"/en/credentials/{credential.pk}/certificate.pdf")
    assert response["Content-Type"] == "application/pdf"
    (page,) = pypdfium2.PdfDocument(response.content)
    text = page.get_textpage().get_text_range()
    assert "Aysel Aliyeva" in text and "Python first steps" in text
    image = page.render(scale=2).to_pil()
    links = [c.text for c in zxingcpp.read_barcodes(image) if c.format.name == "QRCode"]
    assert links == [f"http://localhost:8000/en/credentials/{credential.pk}/"]


def test_the_api_lists_only_the_callers_own_credentials(client, room, holder, credential):
    classmate = room.student(username="murad")
    room.complete(classmate)
    services.credential_issue(student_id=classmate.pk, course_id=room.course.pk)
    token = Token.objects.create(user=holder)

    response = client.get("/api/v1/credentials/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == str(credential.pk)
    assert row["jwt"] == credential.jws
    assert row["url"] == f"http://localhost:8000/en/credentials/{credential.pk}/"
    assert row["status"] == "valid" and row["course"] == room.course.pk
    assert client.get("/api/v1/credentials/").status_code == 401


def test_the_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/credentials/"]["get"]
    assert "jwt" in str(schema["components"]["schemas"]["Credential"])
    assert operation["responses"]["200"]


def test_revoking_from_the_command_line_needs_a_reason(credential):
    with pytest.raises(CommandError):
        call_command("credential_revoke", str(credential.pk), "--reason", "  ")
    call_command("credential_revoke", str(credential.pk), "--reason", "Issued in error")
    credential.refresh_from_db()
    assert credential.revoked_at and credential.revocation_reason == "Issued in error"


def test_staff_revoke_in_the_admin_with_a_reason(client, credential):
    client.force_login(staff_user(is_superuser=True))
    url = "/django-admin/credentials/credential/"
    data = {"action": "revoke", "_selected_action": [str(credential.pk)]}
    asked = client.post(url, data)
    assert asked.status_code == 200 and b"Reason" in asked.content  # asks why first
    credential.refresh_from_db()
    assert credential.revoked_at is None

    client.post(url, {**data, "reason": "Plagiarised exercise"})
    credential.refresh_from_db()
    assert credential.revocation_reason == "Plagiarised exercise"
    html = client.get(f"/en/credentials/{credential.pk}/").content.decode()
    assert 'data-status="revoked"' in html and "Plagiarised exercise" in html
