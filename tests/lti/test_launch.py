"""Launches from the test LMS: a student opens an exercise, submits, and the LMS receives
the score; what is refused, and why."""

from __future__ import annotations

import time

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Enrolment
from grading import services as grading
from grading.models import Submission
from lti.models import Context, GradePassback, Launch, LtiUser, UsedNonce
from people.models import Cohort, Membership, Role
from tests.grading.factories import HALF_RIGHT, RIGHT, student_version
from tests.grading.notebook.builders import answered
from tests.lti.conftest import HIDDEN_LENIENT, set_source, squares
from tests.lti.platform import INSTRUCTOR, new_key

pytestmark = pytest.mark.django_db


def upload(client, exercise, source):
    nb = answered(student_version(exercise), square=source)
    return client.post(
        reverse("grading:exercise-upload", args=[exercise.pk]),
        {"notebook": SimpleUploadedFile("squares.ipynb", nbformat.writes(nb).encode())},
    )


@pytest.mark.sandbox
def test_a_launched_student_submits_and_the_lms_receives_the_score_then_the_regrade(
    client, lms, registration, exercise, eager, django_capture_on_commit_callbacks
):
    response, _form = lms.launch(client, custom={"exercise": str(exercise.pk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("grading:exercise", args=[exercise.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Squares" in page.content.decode()

    # the LMS user is a student of the LMS course's cohort, enrolled in the course
    student = LtiUser.objects.get(issuer=lms.issuer, sub="lms-user-1").user
    assert (student.first_name, student.last_name) == ("Leyla", "Huseynova")
    assert not student.has_usable_password()
    cohort = Context.objects.get(context_id="course-7").cohort
    assert cohort.institution == registration.institution and cohort.name == "Data science 101"
    assert Membership.objects.filter(user=student, cohort=cohort, role=Role.STUDENT).exists()
    assert Enrolment.objects.filter(student=student, course=exercise.course).exists()

    # passes the visible test, fails the hidden one: 1 of 3 points, graded for real
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, exercise, HALF_RIGHT)
    submission = Submission.objects.get(student=student)
    assert submission.status == Submission.Status.GRADED and submission.total == 1

    assert len(lms.received.scores) == 1
    score = lms.received.scores[0]
    assert score["path"] == "/courses/7/lineitems/1/lineitem/scores"
    assert score["body"]["userId"] == "lms-user-1"
    assert (score["body"]["scoreGiven"], score["body"]["scoreMaximum"]) == (1, 3)
    assert score["body"]["activityProgress"] == "Completed"
    assert score["body"]["gradingProgress"] == "FullyGraded"
    assert score["body"]["timestamp"]
    # the tool got its token with a client assertion the LMS verified against /lti/jwks/
    token = lms.received.token_requests[0]
    assert token["iss"] == token["sub"] == lms.client_id
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in token["scope"]

    # the teacher corrects the hidden test and regrades: the LMS gets the new score
    set_source(exercise, squares(hidden=HIDDEN_LENIENT))
    with django_capture_on_commit_callbacks(execute=True):
        grading.submission_regrade(submission=submission)
    submission.refresh_from_db()
    assert submission.total == 3
    assert [s["body"]["scoreGiven"] for s in lms.received.scores] == [1, 3]
    passback = GradePassback.objects.get(user=student)
    assert passback.status == GradePassback.Status.SENT and passback.score_given == 3

    # graded again with the same result: nothing new to tell the LMS
    with django_capture_on_commit_callbacks(execute=True):
        grading.submission_regrade(submission=submission)
    assert len(lms.received.scores) == 2


@pytest.mark.sandbox
def test_an_earlier_result_is_sent_when_the_student_first_launches(
    client, lms, registration, exercise, eager, django_capture_on_commit_callbacks
):
    """Graded before the LMS link existed (e.g. the student knew the platform): the first
    launch sends it."""
    response, _ = lms.launch(client, custom={"exercise": str(exercise.pk)})
    student = LtiUser.objects.get(sub="lms-user-1").user
    GradePassback.objects.all().delete()  # as if never launched through a graded link
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, exercise, RIGHT)
    assert lms.received.scores == []
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = lms.launch(client, custom={"exercise": str(exercise.pk)})
    assert response.status_code == 302
    assert [s["body"]["scoreGiven"] for s in lms.received.scores] == [3]
    assert GradePassback.objects.get(user=student).status == GradePassback.Status.SENT


def test_an_instructor_becomes_teacher_and_the_roster_arrives(
    client, lms, registration, exercise, eager, django_capture_on_commit_callbacks
):
    lms.members = [
        {"user_id": "lms-user-2", "roles": ["Learner"], "status": "Active", "given_name": "Murad"},
        {"user_id": "lms-user-3", "roles": ["Learner"], "status": "Inactive"},
        {"user_id": "lms-user-9", "roles": [INSTRUCTOR], "status": "Active"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = lms.launch(
            client, sub="lms-teacher", roles=[INSTRUCTOR], custom={"exercise": str(exercise.pk)}
        )
    assert response.status_code == 302
    teacher = LtiUser.objects.get(sub="lms-teacher").user
    cohort = Context.objects.get().cohort
    assert Membership.objects.filter(user=teacher, cohort=cohort, role=Role.TEACHER).exists()
    assert not GradePassback.objects.filter(user=teacher).exists()  # teachers get no score
    # the teacher manages the exercise through the cohort the course is assigned to
    assert client.get(reverse("grading:exercise-manage", args=[exercise.pk])).status_code == 200

    assert lms.received.roster_reads == 1
    students = set(
        Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values_list(
            "user__lti_links__sub", flat=True
        )
    )
    assert students == {"lms-user-2"}  # the inactive one and the instructor are not students
    murad = LtiUser.objects.get(sub="lms-user-2").user
    assert murad.first_name == "Murad"
    assert Enrolment.objects.filter(student=murad, course=exercise.course).exists()


def test_a_launch_in_a_frame_offers_a_new_window_that_signs_in_once(
    client, lms, registration, exercise
):
    response, _ = lms.launch(
        client, custom={"exercise": str(exercise.pk)}, headers={"HTTP_SEC_FETCH_DEST": "iframe"}
    )
    assert response.status_code == 200
    # the registered LMS may frame this page; X-Frame-Options does not forbid it
    assert f"frame-ancestors {lms.base}" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    assert "_auth_user_id" not in client.session  # no sign-in inside the frame
    link = response.content.decode().split('data-testid="lti-open"')[0].rsplit('href="', 1)[1]
    link = link.split('"')[0]
    opened = client.get(link)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("grading:exercise", args=[exercise.pk])
    assert client.get(opened["Location"]).status_code == 200
    client.logout()
    assert client.get(link).status_code == 400  # once only
    # the platform's own pages are never framed
    assert "frame-ancestors 'none'" in client.get("/en/").get("Content-Security-Policy", "")


# ---------------------------------------------------------------------------------------
# Refused launches: a clear message, a log line, a refused launch in the admin, nothing made
# ---------------------------------------------------------------------------------------


def expired(claims):
    claims["iat"] = int(time.time()) - 3600
    claims["exp"] = int(time.time()) - 1800


def other_audience(claims):
    claims["aud"] = "another-tool"


def several_audiences_no_azp(claims):
    claims["aud"] = ["another-tool", claims["aud"]]


def no_expiry(claims):
    del claims["exp"]


@pytest.mark.parametrize(
    ("tamper", "signer", "says"),
    [
        (other_audience, None, "meant for another tool"),
        (several_audiences_no_azp, None, "meant for another tool"),
        (expired, None, "has expired"),
        (no_expiry, None, "not signed with a key of your LMS"),
        (None, "unsigned", "not signed with a key of your LMS"),
        (None, "unknown key", "not signed with a key of your LMS"),
        (None, "unknown kid", "not signed with a key of your LMS"),
    ],
)
def test_a_bad_token_is_refused_and_nothing_is_made(
    client, lms, registration, exercise, caplog, tamper, signer, says
):
    signers = {
        None: None,
        "unsigned": lambda claims: lms.sign(claims, alg="none"),
        "unknown key": lambda claims: lms.sign(claims, key=new_key()),
        "unknown kid": lambda claims: lms.sign(claims, key=new_key(), kid="someone-elses-key"),
    }
    response, _ = lms.launch(
        client, custom={"exercise": str(exercise.pk)}, tamper=tamper, sign=signers[signer]
    )
    assert response.status_code == 400
    assert says in response.content.decode()
    launch = Launch.objects.get()
    assert launch.status == Launch.Status.REFUSED and launch.error
    assert "LTI launch refused" in caplog.text
    assert not LtiUser.objects.exists() and not Context.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_replayed_launch_is_refused(client, lms, registration, exercise):
    response, form = lms.launch(client, custom={"exercise": str(exercise.pk)})
    assert response.status_code == 302
    client.logout()
    replay = client.post("/lti/launch/", form)
    assert replay.status_code == 400
    assert "already used or has expired" in replay.content.decode()
    assert UsedNonce.objects.count() == 1
    assert Launch.objects.filter(status=Launch.Status.REFUSED).count() == 1
    assert "_auth_user_id" not in client.session


def test_an_unknown_issuer_is_told_so(client, lms, registration, caplog):
    response = lms.login(client, login_hint="x")
    assert response.status_code == 302  # the registered one is fine
    response = client.post(
        "/lti/login/", {"iss": "https://unknown.example", "login_hint": "x", "client_id": "c"}
    )
    assert response.status_code == 400
    assert "not registered with the platform" in response.content.decode()
    refused = Launch.objects.get()
    assert refused.issuer == "https://unknown.example" and refused.registration is None
    assert "https://unknown.example" in caplog.text


def test_a_disabled_registration_launches_nothing(client, lms, registration):
    registration.status = registration.Status.DISABLED
    registration.save()
    response = lms.login(client)
    assert response.status_code == 400
    assert "not registered with the platform" in response.content.decode()


def test_a_launch_for_a_deleted_exercise_says_so_and_makes_nothing(
    client, lms, registration, exercise
):
    pk = exercise.pk
    response, _ = lms.launch(client, custom={"exercise": str(pk)})
    assert response.status_code == 302
    client.logout()
    cohorts, users = Cohort.objects.count(), LtiUser.objects.count()
    exercise.delete()

    # the same link again (Moodle sends its custom parameters with every launch)
    response, _ = lms.launch(client, sub="lms-user-2", custom={"exercise": str(pk)})
    assert response.status_code == 400
    assert "no longer on the platform" in response.content.decode()
    # a link that remembers its exercise, launched without custom parameters
    response, _ = lms.launch(client, sub="lms-user-2")
    assert response.status_code == 400
    assert "no longer on the platform" in response.content.decode()
    # a brand-new link to an exercise that does not exist
    response, _ = lms.launch(
        client, sub="lms-user-3", resource_link_id="link-2", custom={"exercise": "999999"}
    )
    assert response.status_code == 400
    assert "no longer on the platform" in response.content.decode()

    assert (Cohort.objects.count(), LtiUser.objects.count()) == (cohorts, users)
    assert not LtiUser.objects.filter(sub__in=["lms-user-2", "lms-user-3"]).exists()
    assert Launch.objects.filter(status=Launch.Status.REFUSED, error__contains=str(pk)).count() == 2


def test_the_tool_jwks_publishes_public_keys_only(client):
    keys = client.get("/lti/jwks/").json()["keys"]
    assert keys and all(k["kid"] and k["alg"] == "RS256" and "d" not in k for k in keys)
