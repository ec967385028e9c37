"""Completing a course issues one Open Badges 3.0 credential: after the completion commits,
through the issuing task, once however often the task runs; with the achievement
(course, competences with levels, track, institution) signed in it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from courses import services as course_services
from credentials import jose, selectors, services
from credentials.models import Credential, IssuerKey, StatusList
from credentials.tasks import credential_issue_task
from tests.credentials.conftest import b64json

pytestmark = pytest.mark.django_db


def test_completing_a_course_issues_exactly_one_credential(
    room, eager, django_capture_on_commit_callbacks
):
    student = room.student(first_name="Aysel", last_name="Aliyeva")
    with django_capture_on_commit_callbacks(execute=True):
        room.complete(student)

    credential = Credential.objects.get(student=student)
    assert credential.course == room.course
    # the task again (a redelivered message), and the completion announced again
    credential_issue_task.delay(student.pk, room.course.pk)
    credential_issue_task(student.pk, room.course.pk)
    assert Credential.objects.filter(student=student).count() == 1
    assert Credential.objects.get(student=student).jws == credential.jws


def test_half_a_course_issues_nothing(room, eager, django_capture_on_commit_callbacks):
    student = room.student()
    first = room.course.get_children().live().first().specific
    with django_capture_on_commit_callbacks(execute=True):
        course_services.lesson_visit(student=student, lesson=first)
        course_services.lesson_mark_read(student=student, lesson=first)
    assert not Credential.objects.exists()
    # nor does the task when asked directly
    assert credential_issue_task(student.pk, room.course.pk) is None


def test_the_signed_credential_carries_the_achievement(room):
    student = room.student(first_name="Aysel", last_name="Aliyeva")
    room.complete(student)
    credential = services.credential_issue(student_id=student.pk, course_id=room.course.pk)

    header, payload = jose.verify(credential.jws, selectors.jwk_set())
    assert header == {"alg": "ES256", "kid": credential.key.kid, "typ": "JWT"}
    assert payload["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["id"] == payload["jti"] == f"urn:uuid:{credential.pk}"
    assert payload["issuer"]["id"] == payload["iss"] == "http://localhost:8000"
    subject = payload["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] == "Aysel Aliyeva"
    assert "aysel" not in subject["id"].lower()  # the holder's id says nothing about them
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Python first steps"
    assert achievement["criteria"]["narrative"]
    assert achievement["tag"] == ["school"]
    assert subject["source"]["name"] == "Baku School No. 6"
    codes = {a["targetCode"] for a in achievement["alignment"]}
    assert codes == {"3.4", "4.1"}
    # the curriculum aims at level 4 of programming: the result says so
    (result,) = subject["result"]
    assert result["achievedLevel"].endswith("3.4-level-4")
    status = payload["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert int(status["statusListIndex"]) == credential.status_index
    assert status["statusListCredential"].startswith("http://localhost:8000/credentials/status/")

    shown = selectors.verify_stored(credential).shown
    levels = {c.name: c.level for c in shown.competences}
    assert [bool(level) for level in levels.values()] == [True, False]


def test_one_credential_per_student_and_course_is_a_database_rule(room):
    student = room.student()
    room.complete(student)
    first = services.credential_issue(student_id=student.pk, course_id=room.course.pk)
    copy = Credential(
        student=student,
        course=room.course,
        issued_at=first.issued_at,
        jws=first.jws,
        key=first.key,
        achievement=first.achievement,
        status_list=first.status_list,
        status_index=(first.status_index + 1) % first.status_list.size,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save(force_insert=True)


def test_the_status_list_is_large_enough_to_hide_who_was_revoked(room):
    student = room.student()
    room.complete(student)
    services.credential_issue(student_id=student.pk, course_id=room.course.pk)
    status_list = StatusList.objects.get()
    token = selectors.status_list_jws(status_list)
    payload = b64json(token.split(".")[1])
    bits = jose.decode_bits(payload["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= 131_072
    assert not any(bits)


def test_the_first_key_is_made_on_first_issue_and_rotation_keeps_it_published(room):
    assert not IssuerKey.objects.exists()
    student = room.student()
    room.complete(student)
    old = services.credential_issue(student_id=student.pk, course_id=room.course.pk)
    call_command("credential_keys", "--rotate", "--algorithm", "EdDSA", verbosity=0)

    keys = IssuerKey.objects.all()
    assert keys.count() == 2 and keys.filter(signing=True).count() == 1
    assert old.key.kid in {k["kid"] for k in selectors.jwk_set()["keys"]}
    assert selectors.verify_stored(old).status == "valid"
