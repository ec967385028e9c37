"""A student import must never reach an account the importing admin may not manage.

The attack this guards against: an institution admin puts somebody else's username in a
CSV. The import used to answer "already belongs to <full name>", and a second file with
that name added the account (even a superuser) to the admin's cohort, whose teacher then
read and regraded that person's submissions.

The rule, on every path (the service, the API, the page and `import_students`): an
existing username is matched only when the account is already a member (any role) of the
cohort's institution and is neither staff nor superuser; any other existing username is
refused with a message that names nobody, and the whole file is refused. Only platform
staff, on the command line with `--allow-transfer`, may move a student of another
institution, and that is logged.
"""

from __future__ import annotations

import html
import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from people.imports import student_import
from people.models import Institution, Membership, Role, User
from people.services import membership_create
from tests.factories import (
    CohortFactory,
    InstitutionFactory,
    MembershipFactory,
    UserFactory,
    admin_of,
    analyst,
    student_csv,
    student_in,
    teacher_of,
)

pytestmark = pytest.mark.django_db

# The person somebody tries to reach. Names nobody else in a test has, so a page that
# shows them can only have got them from this account.
USERNAME = "target.person"
FIRST, LAST, EMAIL = "Zemfirona", "Secretbayli", "zemfirona.secret@elsewhere.az"
# The attacker knows the real name (the old message told them); a probe row does not.
KNOWN_NAME_ROW = (USERNAME, FIRST, LAST, EMAIL)
PROBE_ROW = (USERNAME, "Guess", "Whoever", "")
# A harmless row next to it: a refused file must not create it either.
NEW_ROW = ("brand.new.pupil", "Nurlan", "Tazeyev", "")

OUTSIDE = (
    f"Username '{USERNAME}' is taken by an account outside your institution; choose another "
    "username or ask that institution to transfer the student."
)
OTHER_PERSON = (
    f"Username '{USERNAME}' belongs to another person (the names in the file differ); "
    "check the names or choose another username."
)
CANNOT_IMPORT = (
    f"Username '{USERNAME}' belongs to an account that cannot be added to a cohort by import; "
    "choose another username."
)


class World:
    """School A imports into its class `cohort`; school B and the ministry are elsewhere."""

    def __init__(self, kind: str = Institution.Kind.SCHOOL):
        self.institution = InstitutionFactory(kind=kind)
        self.cohort = CohortFactory(institution=self.institution, code="a-9a")
        self.sibling = CohortFactory(institution=self.institution, code="a-9b")
        self.admin = admin_of(self.institution)
        self.elsewhere = InstitutionFactory()
        self.elsewhere_cohort = CohortFactory(institution=self.elsewhere, code="b-9a")


def _person(**kwargs) -> User:
    return UserFactory(username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL, **kwargs)


# Each kind of existing account: how to make it in a World, and whether the admin of the
# World's institution may add it to a cohort by import.
def same_institution_student(w):
    return student_in(w.sibling, username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL)


def same_institution_teacher(w):
    return teacher_of(w.sibling, username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL)


def same_institution_whole_school_teacher(w):
    user = _person()
    membership_create(user=user, role=Role.TEACHER, institution=w.institution)
    return user


def other_institution_student(w):
    return student_in(
        w.elsewhere_cohort, username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL
    )


def other_institution_teacher(w):
    return teacher_of(
        w.elsewhere_cohort, username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL
    )


def other_institution_admin(w):
    return admin_of(w.elsewhere, username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL)


def ministry_analyst(w):
    return analyst(username=USERNAME, first_name=FIRST, last_name=LAST, email=EMAIL)


def staff(w):
    return _person(is_staff=True)


def superuser(w):
    return _person(is_staff=True, is_superuser=True)


def no_membership(w):
    return _person()


def staff_student_of_the_same_institution(w):
    user = same_institution_student(w)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    return user


def superuser_teacher_of_the_same_institution(w):
    user = same_institution_teacher(w)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    return user


MAY_MATCH = [same_institution_student, same_institution_teacher]
REFUSED_OUTSIDE = [
    other_institution_student,
    other_institution_teacher,
    other_institution_admin,
    ministry_analyst,
    staff,
    superuser,
    no_membership,
]
PRIVILEGED_INSIDE = [
    staff_student_of_the_same_institution,
    superuser_teacher_of_the_same_institution,
]
ALL_KINDS = MAY_MATCH + REFUSED_OUTSIDE


def _name(kind) -> str:
    return kind.__name__


def _state() -> list[tuple]:
    """Everything an import could change: the accounts and every membership."""
    return [
        sorted(User.objects.values_list("username", "first_name", "last_name", "email")),
        sorted(
            Membership.objects.values_list(
                "user__username", "role", "cohort__code", "institution__code"
            ).order_by()
        ),
    ]


def _cohorts_of(user) -> set[str]:
    return set(user.memberships.filter(role=Role.STUDENT).values_list("cohort__code", flat=True))


def _messages(result) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in result.errors]


def _assert_says_nothing_about_the_person(text: str) -> None:
    for secret in (FIRST, LAST, EMAIL, "zemfirona", "secretbayli"):
        assert secret.lower() not in text.lower(), secret


# --- the rule, in the service, for each kind of institution that imports -----------------


@pytest.mark.parametrize(
    "institution_kind",
    [Institution.Kind.SCHOOL, Institution.Kind.UNIVERSITY, Institution.Kind.SCHOLARSHIP],
)
@pytest.mark.parametrize("kind", ALL_KINDS + PRIVILEGED_INSIDE, ids=_name)
def test_the_service_matches_only_members_of_the_cohorts_institution(institution_kind, kind):
    w = World(institution_kind)
    person = kind(w)
    before = _state()

    result = student_import(cohort=w.cohort, data=student_csv([NEW_ROW, KNOWN_NAME_ROW]))

    if kind in MAY_MATCH:
        assert result.ok, _messages(result)
        assert (result.created, result.added, result.unchanged) == (1, 1, 0)
        assert w.cohort.code in _cohorts_of(person)
        assert User.objects.filter(username__iexact=USERNAME).count() == 1
    else:
        expected = CANNOT_IMPORT if kind in PRIVILEGED_INSIDE else OUTSIDE
        assert _messages(result) == [(3, expected)]
        assert _state() == before
        assert w.cohort.code not in _cohorts_of(person)


@pytest.mark.parametrize("kind", REFUSED_OUTSIDE + PRIVILEGED_INSIDE, ids=_name)
def test_a_refusal_reads_the_same_whether_or_not_the_name_is_right(kind):
    """Otherwise the answer would confirm a guessed name: the old leak by another route."""
    w = World()
    kind(w)

    right = student_import(cohort=w.cohort, data=student_csv([KNOWN_NAME_ROW]))
    wrong = student_import(cohort=w.cohort, data=student_csv([PROBE_ROW]))

    assert _messages(right) == _messages(wrong)
    _assert_says_nothing_about_the_person(str(right.errors[0]))


def test_a_username_taken_with_other_letter_case_is_refused_the_same_way():
    w = World()
    other_institution_student(w)
    row = (USERNAME.upper(), FIRST, LAST, "")
    result = student_import(cohort=w.cohort, data=student_csv([row]))
    assert _messages(result) == [(2, OUTSIDE.replace(USERNAME, USERNAME.upper()))]


def test_a_member_of_the_institution_with_other_names_is_refused_without_naming_them():
    w = World()
    same_institution_student(w)
    before = _state()
    result = student_import(cohort=w.cohort, data=student_csv([PROBE_ROW]))
    assert _messages(result) == [(2, OTHER_PERSON)]
    assert _state() == before


def test_a_teacher_at_the_whole_school_is_a_member_of_the_institution():
    w = World()
    person = same_institution_whole_school_teacher(w)
    result = student_import(cohort=w.cohort, data=student_csv([KNOWN_NAME_ROW]))
    assert result.ok, _messages(result)
    assert _cohorts_of(person) == {w.cohort.code}


def test_an_admin_of_both_schools_still_cannot_move_a_student_by_import():
    """The rule is about the cohort's institution, not whatever else the admin runs."""
    w = World()
    MembershipFactory(
        user=w.admin, cohort=None, institution=w.elsewhere, role=Role.INSTITUTION_ADMIN
    )
    other_institution_student(w)
    result = student_import(cohort=w.cohort, data=student_csv([KNOWN_NAME_ROW]))
    assert _messages(result) == [(2, OUTSIDE)]


def test_every_refused_row_is_reported_and_nothing_is_imported():
    w = World()
    MembershipFactory(user=UserFactory(username="taken.0"), cohort=w.elsewhere_cohort)
    UserFactory(username="taken.1", is_staff=True, is_superuser=True)
    UserFactory(username="taken.2")
    rows = [NEW_ROW, *[(f"taken.{i}", FIRST, LAST, "") for i in range(3)]]
    before = _state()

    result = student_import(cohort=w.cohort, data=student_csv(rows))

    assert [line for line, _message in _messages(result)] == [3, 4, 5]
    assert _state() == before


# --- the three ways in: the API, the page, the command ------------------------------------


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("students.csv", data, content_type="text/csv")


def _import(way: str, client, w: World, data: bytes, tmp_path, **extra) -> tuple[bool, str]:
    """Import `data` as the admin of `w` (or as staff, for the command): (done?, what the
    person running it sees)."""
    if way == "api":
        client.force_login(w.admin)
        response = client.post(
            f"/api/v1/cohorts/{w.cohort.pk}/import/", {"file": _upload(data), **extra}
        )
        assert response.status_code in (200, 400), response.content
        lines = [f"Line {e['line']}: {e['message']}" for e in response.json().get("errors", [])]
        return response.status_code == 200, "\n".join([response.content.decode(), *lines])
    if way == "page":
        client.force_login(w.admin)
        response = client.post(
            f"/en/cohorts/{w.cohort.pk}/import/", {"file": _upload(data), **extra}
        )
        assert response.status_code in (302, 400), response.content
        return response.status_code == 302, html.unescape(response.content.decode())
    path = tmp_path / "students.csv"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_students", w.cohort.code, str(path), stdout=out, stderr=err, **extra)
    except CommandError as exc:
        return False, out.getvalue() + err.getvalue() + str(exc)
    return True, out.getvalue() + err.getvalue()


WAYS = ["api", "page", "command"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("kind", ALL_KINDS, ids=_name)
def test_each_way_in_follows_the_rule(client, tmp_path, way, kind):
    w = World()
    person = kind(w)
    memberships_before = sorted(person.memberships.values_list("role", "cohort", "institution"))
    before = _state()

    done, text = _import(way, client, w, student_csv([NEW_ROW, KNOWN_NAME_ROW]), tmp_path)

    if kind in MAY_MATCH:
        assert done, text
        assert w.cohort.code in _cohorts_of(person)
        # and once more: nothing changes the second time
        after_first = _state()
        done, text = _import(way, client, w, student_csv([NEW_ROW, KNOWN_NAME_ROW]), tmp_path)
        assert done, text
        assert _state() == after_first
    else:
        assert not done
        assert "Line 3: " + OUTSIDE in text
        _assert_says_nothing_about_the_person(text)
        assert _state() == before
        assert (
            sorted(person.memberships.values_list("role", "cohort", "institution"))
            == memberships_before
        )
        assert not User.objects.filter(username=NEW_ROW[0]).exists()


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("kind", REFUSED_OUTSIDE, ids=_name)
def test_the_second_step_of_the_attack_fails_too(client, tmp_path, way, kind):
    """Probe for the name, then import with it: neither reveals nor adds anything."""
    w = World()
    person = kind(w)
    before = _state()

    done_probe, probe = _import(way, client, w, student_csv([PROBE_ROW]), tmp_path)
    done_attack, attack = _import(way, client, w, student_csv([KNOWN_NAME_ROW]), tmp_path)

    assert not done_probe and not done_attack
    _assert_says_nothing_about_the_person(probe)
    _assert_says_nothing_about_the_person(attack)
    assert _state() == before
    assert w.cohort.code not in _cohorts_of(person)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("kind", PRIVILEGED_INSIDE, ids=_name)
def test_staff_and_superusers_are_never_added_whatever_their_memberships(
    client, tmp_path, way, kind
):
    w = World()
    person = kind(w)
    before = _state()
    extra = {"allow_transfer": True} if way == "command" else {}

    done, text = _import(way, client, w, student_csv([KNOWN_NAME_ROW]), tmp_path, **extra)

    assert not done
    assert "Line 2: " + CANNOT_IMPORT in text
    assert _state() == before
    assert w.cohort.code not in _cohorts_of(person)


@pytest.mark.parametrize("way", ["api", "page"])
def test_the_web_cannot_ask_for_a_transfer(client, tmp_path, way):
    w = World()
    other_institution_student(w)
    before = _state()
    done, text = _import(
        way, client, w, student_csv([KNOWN_NAME_ROW]), tmp_path, allow_transfer="true"
    )
    assert not done
    assert OUTSIDE in text
    assert _state() == before


@pytest.mark.parametrize(("lang", "word"), [("ru", "учреждения"), ("az", "müəssisə")])
def test_the_refusal_is_translated(client, lang, word):
    w = World()
    other_institution_student(w)
    client.force_login(w.admin)
    response = client.post(
        f"/{lang}/cohorts/{w.cohort.pk}/import/", {"file": _upload(student_csv([PROBE_ROW]))}
    )
    text = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert USERNAME in text
    assert word in text
    assert "outside your institution" not in text


# --- the command: platform staff may move a student, explicitly, and it is logged ---------


def test_the_command_moves_a_student_of_another_institution_only_when_told(tmp_path, caplog):
    w = World()
    person = other_institution_student(w)
    data = student_csv([KNOWN_NAME_ROW])

    done, text = _import("command", None, w, data, tmp_path)
    assert not done
    assert OUTSIDE in text
    assert "--allow-transfer" in text
    assert w.cohort.code not in _cohorts_of(person)

    with caplog.at_level(logging.INFO, logger="people.imports"):
        done, text = _import("command", None, w, data, tmp_path, allow_transfer=True)

    assert done, text
    assert _cohorts_of(person) == {w.elsewhere_cohort.code, w.cohort.code}
    assert f"1 student moved from another institution: {USERNAME}" in text
    [record] = [r for r in caplog.records if r.name == "people.imports"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    for fact in (USERNAME, str(person.pk), w.cohort.code, w.elsewhere.code, w.institution.code):
        assert fact in message

    # now a member of the school: the same file again changes nothing, with or without the flag
    before = _state()
    caplog.clear()
    for extra in ({}, {"allow_transfer": True}):
        done, text = _import("command", None, w, data, tmp_path, **extra)
        assert done, text
        assert "moved" not in text
    assert _state() == before
    assert not [r for r in caplog.records if r.name == "people.imports"]


@pytest.mark.parametrize(
    "kind",
    [
        other_institution_teacher,
        other_institution_admin,
        ministry_analyst,
        staff,
        superuser,
        no_membership,
    ],
    ids=_name,
)
def test_a_transfer_moves_students_only(tmp_path, kind):
    w = World()
    person = kind(w)
    before = _state()
    done, text = _import(
        "command", None, w, student_csv([KNOWN_NAME_ROW]), tmp_path, allow_transfer=True
    )
    assert not done
    assert "Line 2: " + CANNOT_IMPORT in text
    assert _state() == before
    assert w.cohort.code not in _cohorts_of(person)


def test_a_transfer_with_other_names_is_refused_without_naming_anyone(tmp_path):
    w = World()
    other_institution_student(w)
    before = _state()
    done, text = _import(
        "command", None, w, student_csv([PROBE_ROW]), tmp_path, allow_transfer=True
    )
    assert not done
    assert "Line 2: " + OTHER_PERSON in text
    _assert_says_nothing_about_the_person(text)
    assert _state() == before


def test_a_student_of_another_school_who_teaches_somewhere_is_not_moved(tmp_path):
    w = World()
    person = other_institution_student(w)
    membership_create(user=person, role=Role.TEACHER, cohort=CohortFactory())
    before = _state()
    done, text = _import(
        "command", None, w, student_csv([KNOWN_NAME_ROW]), tmp_path, allow_transfer=True
    )
    assert not done
    assert CANNOT_IMPORT in text
    assert _state() == before
