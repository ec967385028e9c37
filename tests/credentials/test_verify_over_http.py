"""What a university abroad or an employer does: verify a credential with nothing but the
issuer's public keys and status list, fetched over HTTP from the running platform, and
joserfc. A tampered copy is refused, a revocation is seen, and after a key rotation the
old credential still verifies while new ones carry the new key."""

from __future__ import annotations

import gzip
import json
import re
from base64 import urlsafe_b64decode, urlsafe_b64encode

import pytest
from joserfc.errors import BadSignatureError

from credentials import services
from credentials.models import Credential
from tests.credentials.conftest import Classroom, b64json, fetch, outside_verify

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def issued(live_server, settings, eager):
    """A credential issued by completing a course on a platform whose public address is
    the live server's."""
    settings.CREDENTIALS_ISSUER_URL = live_server.url
    room = Classroom()
    student = room.student(first_name="Aysel", last_name="Aliyeva")
    room.complete(student)  # each lesson commits; the completion queues the (eager) task
    return Credential.objects.get(student=student)


def jwks(live_server) -> dict:
    body, headers = fetch(f"{live_server.url}/.well-known/jwks.json")
    assert headers["Content-Type"] == "application/jwk-set+json"
    assert "max-age=" in headers["Cache-Control"] and "public" in headers["Cache-Control"]
    return json.loads(body)


def status_bit(credential_payload: dict, key_set: dict) -> bool:
    """The credential's bit in its status list, fetched and verified like the credential
    (W3C Bitstring Status List: GZIP, base64url with the multibase prefix "u", index 0
    the left-most bit)."""
    entry = credential_payload["credentialStatus"]
    token, _headers = fetch(entry["statusListCredential"])
    status_list = outside_verify(token.decode(), key_set)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) >= 16 * 1024
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def page_text(live_server, path: str) -> str:
    body, _headers = fetch(f"{live_server.url}{path}")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode()))


def test_an_issued_credential_verifies_with_the_published_keys_alone(live_server, issued):
    keys = jwks(live_server)
    payload = outside_verify(issued.jws, keys)
    assert payload["credentialSubject"]["achievement"]["name"] == "Python first steps"
    assert payload["issuer"]["id"] == live_server.url
    assert status_bit(payload, keys) is False
    assert "Valid" in page_text(live_server, f"/en/credentials/{issued.pk}/")


def test_a_tampered_copy_is_refused_and_the_page_says_tampered(live_server, issued, client):
    keys = jwks(live_server)
    head, body, signature = issued.jws.split(".")
    payload = b64json(body)
    payload["credentialSubject"]["achievement"]["name"] = "Doctorate in Physics"
    forged_body = urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    forged = f"{head}.{forged_body}.{signature}"

    with pytest.raises(BadSignatureError):
        outside_verify(forged, keys)

    response = client.post(f"/en/credentials/{issued.pk}/", {"token": forged})
    text = re.sub(r"\s+", " ", response.content.decode())
    assert 'data-testid="file-verdict" data-status="tampered"' in text
    assert "changed after it was issued" in text
    assert "Doctorate in Physics" not in text  # nothing of a refused file is shown

    # the platform's own copy, edited in its database, is called tampered too
    Credential.objects.filter(pk=issued.pk).update(jws=forged)
    assert "Tampered" in page_text(live_server, f"/en/credentials/{issued.pk}/")


def test_a_revocation_shows_in_the_status_list_and_on_the_page(live_server, issued):
    keys = jwks(live_server)
    payload = outside_verify(issued.jws, keys)
    services.credential_revoke(credential_id=issued.pk, reason="Completed by someone else")

    assert status_bit(payload, keys) is True  # the signature still verifies; the list says revoked
    text = page_text(live_server, f"/en/credentials/{issued.pk}/")
    assert "Revoked" in text
    revoked_at = Credential.objects.get(pk=issued.pk).revoked_at
    assert revoked_at.strftime("%Y") in text and "Completed by someone else" in text


def test_after_a_key_rotation_old_credentials_verify_and_new_ones_use_the_new_key(
    live_server, issued
):
    old_kid = b64json(issued.jws.split(".")[0])["kid"]
    services.key_rotate(algorithm="EdDSA")
    room = Classroom()
    other = room.student()
    room.complete(other)
    new = Credential.objects.get(student=other)

    keys = jwks(live_server)
    assert outside_verify(issued.jws, keys)  # signed by the retired key
    assert outside_verify(new.jws, keys)
    new_header = b64json(new.jws.split(".")[0])
    assert new_header["kid"] != old_kid and new_header["alg"] == "EdDSA"
    assert "Valid" in page_text(live_server, f"/en/credentials/{issued.pk}/")
