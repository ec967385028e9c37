"""Bulk import of students from CSV: the service, the web page, the command and the API.

Every broken file must leave the database exactly as it was and name each problem with
its line number; a good file imported twice must change nothing the second time.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from people.imports import student_import
from people.models import Membership, Role, User
from tests.factories import (
    CohortFactory,
    UserFactory,
    admin_of,
    student_csv,
    student_in,
    teacher_of,
)

GOOD_ROWS = [
    ("aysel.aliyeva", "Aysel", "Aliyeva", "aysel@example.az"),
    ("murad.mammadov", "Murad", "Mammadov", ""),
    ("leyla.hasanova", "Leyla", "Hasanova", "leyla@example.az"),
]


@pytest.fixture
def cohort(db):
    return CohortFactory(code="baku-6-9a")


def _state() -> tuple[int, int, list[tuple[str, str, str]]]:
    """Everything an import could change: accounts, memberships, and who is where."""
    return (
        User.objects.count(),
        Membership.objects.count(),
        sorted(Membership.objects.values_list("user__username", "role", "cohort__code").order_by()),
    )


def _students(cohort) -> set[str]:
    return set(
        Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values_list(
            "user__username", flat=True
        )
    )


def _errors(result) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in result.errors]


# --- the service ------------------------------------------------------------------------


def test_a_valid_file_creates_accounts_and_memberships(cohort):
    result = student_import(cohort=cohort, data=student_csv(GOOD_ROWS))

    assert result.ok
    assert (result.created, result.added, result.unchanged) == (3, 0, 0)
    assert _students(cohort) == {"aysel.aliyeva", "murad.mammadov", "leyla.hasanova"}
    aysel = User.objects.get(username="aysel.aliyeva")
    assert (aysel.first_name, aysel.last_name, aysel.email) == (
        "Aysel",
        "Aliyeva",
        "aysel@example.az",
    )
    # nobody knows the password; the student sets one through "forgot password"
    assert not aysel.has_usable_password()


def test_importing_the_same_file_again_changes_nothing(cohort):
    data = student_csv(GOOD_ROWS)
    student_import(cohort=cohort, data=data)
    before = _state()

    result = student_import(cohort=cohort, data=data)

    assert result.ok
    assert (result.created, result.added, result.unchanged) == (0, 0, 3)
    assert _state() == before


def test_an_existing_account_is_added_not_duplicated(cohort):
    other_cohort = CohortFactory(institution=cohort.institution)
    existing = student_in(
        other_cohort, username="aysel.aliyeva", first_name="Aysel", last_name="Aliyeva"
    )

    result = student_import(cohort=cohort, data=student_csv(GOOD_ROWS))

    assert (result.created, result.added, result.unchanged) == (2, 1, 0)
    assert User.objects.filter(username__iexact="aysel.aliyeva").count() == 1
    assert set(existing.memberships.values_list("cohort__code", flat=True)) == {
        other_cohort.code,
        cohort.code,
    }
    existing.refresh_from_db()
    assert existing.has_usable_password(), "an import must not reset anybody's password"


def test_semicolon_separated_file_from_excel_imports(cohort):
    """Excel in the az and ru locales saves CSV with semicolons."""
    rows = [("rashad.karimov", "Rəşad", "Kərimov", "rashad@example.az")]
    result = student_import(cohort=cohort, data=student_csv(rows, delimiter=";"))
    assert result.ok, _errors(result)
    assert User.objects.get(username="rashad.karimov").first_name == "Rəşad"


def test_a_byte_order_mark_is_ignored(cohort):
    data = "\ufeff".encode() + student_csv([("nigar.h", "Nigar", "Hüseynova", "")])
    result = student_import(cohort=cohort, data=data)
    assert result.ok, _errors(result)
    assert _students(cohort) == {"nigar.h"}


def test_header_case_and_blank_lines_do_not_matter(cohort):
    data = b"Username,First_Name,Last_Name\r\n\r\nelvin.g,Elvin,Guliyev\r\n\r\n"
    result = student_import(cohort=cohort, data=data)
    assert result.ok, _errors(result)
    assert _students(cohort) == {"elvin.g"}


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        pytest.param(
            "username,first_name,last_name\r\nivan.p,Иван,Петров\r\n".encode("cp1251"),
            2,
            ["UTF-8", "line 2"],
            id="cp1251",
        ),
        pytest.param(
            "username,first_name,last_name\r\nzeyneb.g,Zeyneb,Güler\r\n".encode("latin-1"),
            2,
            ["UTF-8", "line 2"],
            id="latin-1",
        ),
        pytest.param(
            "username,first_name,last_name\r\na,B,C\r\n".encode("utf-16"),
            1,
            ["UTF-8", "line 1"],
            id="utf-16",
        ),
    ],
)
def test_a_file_that_is_not_utf8_is_refused(cohort, data, line, words):
    before = _state()
    result = student_import(cohort=cohort, data=data)
    assert not result.ok
    [(error_line, message)] = _errors(result)
    assert error_line == 0  # about the whole file; the message says where
    for word in words:
        assert word in message
    assert _state() == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", [(0, "The file is empty.")], id="empty"),
        pytest.param(b"  \r\n\r\n", [(0, "The file is empty.")], id="only-blank-lines"),
        pytest.param(
            b"username,first_name,last_name,email\r\n",
            [(0, "The file has a header but no students.")],
            id="header-only",
        ),
        pytest.param(
            b"username,first_name\r\naysel,Aysel\r\n",
            [
                (
                    1,
                    "Missing column: last_name. "
                    "The header must contain: username, first_name, last_name.",
                )
            ],
            id="missing-column",
        ),
        pytest.param(
            b"username,first_name,last_name,phone\r\naysel,Aysel,Aliyeva,555\r\n",
            [(1, "Unknown column: phone.")],
            id="unknown-column",
        ),
        pytest.param(
            b"username,first_name,last_name,username\r\naysel,Aysel,Aliyeva,other\r\n",
            [(1, "Column named more than once: username.")],
            id="repeated-column",
        ),
    ],
)
def test_a_file_with_a_broken_shape_is_refused(cohort, data, expected):
    before = _state()
    result = student_import(cohort=cohort, data=data)
    assert _errors(result) == expected
    assert _state() == before


def test_every_broken_row_is_reported_with_its_line_and_nothing_is_imported(cohort):
    UserFactory(username="taken.name", first_name="Somebody", last_name="Else")
    rows = [
        ("aysel.aliyeva", "Aysel", "Aliyeva", "aysel@example.az"),  # line 2: fine
        ("murad.m", "Murad", "Mammadov", "not-an-email"),  # line 3
        ("leyla.h", "", "Hasanova", ""),  # line 4
        ("bad name!", "Tural", "Ismayilov", ""),  # line 5
        ("aysel.aliyeva", "Aysel", "Aliyeva", ""),  # line 6: same username as line 2
        ("nigar.h", "Nigar", "Huseynova"),  # line 7: three values instead of four
        ("", "Orkhan", "Safarov", ""),  # line 8
    ]
    before = _state()

    result = student_import(cohort=cohort, data=student_csv(rows))

    assert not result.ok
    assert _errors(result) == [
        (3, "'not-an-email' is not an e-mail address."),
        (4, "The first name is empty."),
        (5, "The username 'bad name!' may contain only letters, digits and . @ + - _"),
        (6, "Username 'aysel.aliyeva' is also on line 2."),
        (7, "Expected 4 values, found 3."),
        (8, "The username is empty."),
    ]
    assert str(result.errors[0]) == "Line 3: 'not-an-email' is not an e-mail address."
    assert _state() == before


def test_duplicate_usernames_differing_only_in_case_are_one_username(cohort):
    rows = [("Aysel.Aliyeva", "Aysel", "Aliyeva", ""), ("aysel.aliyeva", "Aysel", "Aliyeva", "")]
    result = student_import(cohort=cohort, data=student_csv(rows))
    assert _errors(result) == [(3, "Username 'aysel.aliyeva' is also on line 2.")]


def test_a_username_of_a_different_person_is_refused(cohort):
    """The refusal names nobody: the account may belong to another institution
    (tests/people/test_import_security.py has every kind of account)."""
    UserFactory(username="aysel.aliyeva", first_name="Aysel", last_name="Quliyeva")
    before = _state()

    result = student_import(cohort=cohort, data=student_csv(GOOD_ROWS))

    assert _errors(result) == [
        (
            2,
            "Username 'aysel.aliyeva' is taken by an account outside your institution; choose "
            "another username or ask that institution to transfer the student.",
        )
    ]
    assert _state() == before


def test_a_username_of_a_different_person_of_the_school_is_refused(cohort):
    student_in(
        CohortFactory(institution=cohort.institution),
        username="aysel.aliyeva",
        first_name="Aysel",
        last_name="Quliyeva",
    )
    before = _state()

    result = student_import(cohort=cohort, data=student_csv(GOOD_ROWS))

    assert _errors(result) == [
        (
            2,
            "Username 'aysel.aliyeva' belongs to another person (the names in the file "
            "differ); check the names or choose another username.",
        )
    ]
    assert _state() == before


def test_a_username_taken_with_other_letter_case_is_refused(cohort):
    """Two accounts that differ only in letter case would be one person to a teacher."""
    UserFactory(username="Aysel.Aliyeva", first_name="Aysel", last_name="Quliyeva")
    before = _state()

    result = student_import(cohort=cohort, data=student_csv(GOOD_ROWS))

    assert [line for line, _message in _errors(result)] == [2]
    assert "Quliyeva" not in result.errors[0].message
    assert _state() == before


def test_the_same_person_with_other_letter_case_is_recognised(cohort):
    existing = student_in(
        CohortFactory(institution=cohort.institution),
        username="Aysel.Aliyeva",
        first_name="Aysel",
        last_name="Aliyeva",
    )

    result = student_import(cohort=cohort, data=student_csv(GOOD_ROWS))

    assert (result.created, result.added) == (2, 1)
    assert User.objects.filter(username__iexact="aysel.aliyeva").get() == existing


def test_a_file_with_too_many_rows_is_refused(cohort, settings):
    settings.STUDENT_IMPORT_MAX_ROWS = 2
    before = _state()
    result = student_import(cohort=cohort, data=student_csv(GOOD_ROWS))
    assert _errors(result) == [(0, "The file has more than 2 rows; split it into smaller files.")]
    assert _state() == before


def test_the_row_limit_counts_rows_not_problems(cohort, settings):
    """Two rows with two problems each stay within a limit of two rows."""
    settings.STUDENT_IMPORT_MAX_ROWS = 2
    rows = [("a", "", "", ""), ("b", "", "", "")]
    result = student_import(cohort=cohort, data=student_csv(rows))
    assert [line for line, _message in _errors(result)] == [2, 2, 3, 3]


def test_a_malformed_csv_is_reported_not_crashed(cohort):
    """A field longer than the csv module allows (a binary file renamed to .csv)."""
    data = b"username,first_name,last_name\r\n" + b'"' + b"x" * 200_000 + b'",A,B\r\n'
    result = student_import(cohort=cohort, data=data)
    assert not result.ok
    assert result.errors[0].line == 2
    assert "CSV" in result.errors[0].message


# --- the web page -----------------------------------------------------------------------


def _upload(data: bytes, name: str = "students.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _import_url(cohort) -> str:
    return f"/en/cohorts/{cohort.pk}/import/"


def test_the_page_imports_a_good_file_and_reports_counts(client, cohort):
    client.force_login(admin_of(cohort.institution))
    response = client.post(_import_url(cohort), {"file": _upload(student_csv(GOOD_ROWS))})
    assert response.status_code == 302
    assert response["Location"] == f"/en/cohorts/{cohort.pk}/"

    page = client.get(response["Location"])
    text = page.content.decode()
    assert (
        "Import finished: 3 new accounts, 0 existing accounts added, 0 already in the cohort."
        in text
    )
    for username, *_ in GOOD_ROWS:
        assert username in text
    assert _students(cohort) == {row[0] for row in GOOD_ROWS}


def test_the_page_shows_every_error_with_its_line_and_imports_nothing(client, cohort):
    client.force_login(admin_of(cohort.institution))
    rows = [
        ("aysel.aliyeva", "Aysel", "Aliyeva", "aysel@example.az"),
        ("murad.m", "Murad", "Mammadov", "not-an-email"),
        ("aysel.aliyeva", "Aysel", "Aliyeva", ""),
    ]
    before = _state()

    response = client.post(_import_url(cohort), {"file": _upload(student_csv(rows))})

    assert response.status_code == 400
    text = response.content.decode()
    assert 'data-testid="import-errors"' in text
    assert "Nothing was imported: 2 problems were found." in text
    assert "Line 3: &#x27;not-an-email&#x27; is not an e-mail address." in text
    assert "Line 4: Username &#x27;aysel.aliyeva&#x27; is also on line 2." in text
    assert _state() == before


def test_the_page_explains_a_file_that_is_not_utf8(client, cohort):
    client.force_login(admin_of(cohort.institution))
    data = "username,first_name,last_name\r\nivan.p,Иван,Петров\r\n".encode("cp1251")
    before = _state()
    response = client.post(_import_url(cohort), {"file": _upload(data)})
    assert response.status_code == 400
    assert "Save it as &#x27;CSV UTF-8&#x27;" in response.content.decode()
    assert _state() == before


def test_the_page_without_a_file_asks_for_one(client, cohort):
    client.force_login(admin_of(cohort.institution))
    response = client.post(_import_url(cohort), {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_page_refuses_a_file_that_is_too_large(client, cohort, monkeypatch):
    monkeypatch.setattr("people.imports.MAX_FILE_BYTES", 100)
    client.force_login(admin_of(cohort.institution))
    before = _state()
    response = client.post(_import_url(cohort), {"file": _upload(student_csv(GOOD_ROWS))})
    assert response.status_code == 200
    assert "The file is larger than" in response.content.decode()
    assert _state() == before


def test_a_teacher_of_the_cohort_cannot_import(client, cohort):
    client.force_login(teacher_of(cohort))
    before = _state()
    assert client.get(_import_url(cohort)).status_code == 403
    response = client.post(_import_url(cohort), {"file": _upload(student_csv(GOOD_ROWS))})
    assert response.status_code == 403
    assert _state() == before


def test_the_cohort_page_offers_import_to_admins_only(client, cohort):
    client.force_login(teacher_of(cohort))
    assert _import_url(cohort) not in client.get(f"/en/cohorts/{cohort.pk}/").content.decode()
    client.force_login(admin_of(cohort.institution))
    assert _import_url(cohort) in client.get(f"/en/cohorts/{cohort.pk}/").content.decode()


# --- the command ------------------------------------------------------------------------


@pytest.fixture
def csv_path(tmp_path):
    def write(data: bytes):
        path = tmp_path / "students.csv"
        path.write_bytes(data)
        return path

    return write


def test_the_command_imports_and_prints_counts(cohort, csv_path, capsys):
    path = csv_path(student_csv(GOOD_ROWS))
    call_command("import_students", "baku-6-9a", str(path))
    assert (
        "3 new accounts, 0 existing accounts added, 0 already in the cohort"
        in capsys.readouterr().out
    )
    assert len(_students(cohort)) == 3

    call_command("import_students", "baku-6-9a", str(path))
    assert (
        "0 new accounts, 0 existing accounts added, 3 already in the cohort"
        in capsys.readouterr().out
    )
    assert len(_students(cohort)) == 3


def test_the_command_names_an_unknown_cohort(cohort, csv_path):
    path = csv_path(student_csv(GOOD_ROWS))
    with pytest.raises(CommandError) as excinfo:
        call_command("import_students", "baku-6-9z", str(path))
    assert str(excinfo.value) == (
        "No cohort with code 'baku-6-9z'. Known codes look like: baku-6-9a."
    )
    assert excinfo.value.returncode == 1


def test_the_command_names_a_missing_file(cohort, tmp_path):
    with pytest.raises(CommandError, match=r"No file at .*nowhere\.csv"):
        call_command("import_students", "baku-6-9a", str(tmp_path / "nowhere.csv"))


def test_the_command_prints_every_problem_and_exits_non_zero(cohort, csv_path, capsys, monkeypatch):
    rows = [*GOOD_ROWS, ("murad.m", "Murad", "", "")]
    path = csv_path(student_csv(rows))
    before = _state()
    # run it as `manage.py` does, keeping the test database connection open
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)

    with pytest.raises(SystemExit) as excinfo:
        execute_from_command_line(["manage.py", "import_students", "baku-6-9a", str(path)])

    assert excinfo.value.code == 1
    err = capsys.readouterr().err
    assert "Line 5: The last name is empty." in err
    assert "Nothing was imported into baku-6-9a: 1 problem found." in err
    assert _state() == before


# --- the API ----------------------------------------------------------------------------


def _api_import(client, cohort, data: bytes):
    return client.post(f"/api/v1/cohorts/{cohort.pk}/import/", {"file": _upload(data)})


def test_the_api_imports_and_answers_with_counts(client, cohort):
    client.force_login(admin_of(cohort.institution))
    response = _api_import(client, cohort, student_csv(GOOD_ROWS))
    assert response.status_code == 200
    assert response.json() == {"created": 3, "added": 0, "unchanged": 0, "errors": []}
    response = _api_import(client, cohort, student_csv(GOOD_ROWS))
    assert response.json() == {"created": 0, "added": 0, "unchanged": 3, "errors": []}


def test_the_api_lists_every_problem_and_imports_nothing(client, cohort):
    client.force_login(admin_of(cohort.institution))
    rows = [("a.b", "A", "B", "bad"), ("a.b", "A", "B", "")]
    before = _state()
    response = _api_import(client, cohort, student_csv(rows))
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "code": "invalid_csv",
        "detail": "The file was not imported: 2 problems found.",
        "errors": [
            {"line": 2, "message": "'bad' is not an e-mail address."},
            {"line": 3, "message": "Username 'a.b' is also on line 2."},
        ],
    }
    assert _state() == before


def test_the_api_without_a_file_is_a_validation_error(client, cohort):
    client.force_login(admin_of(cohort.institution))
    response = client.post(f"/api/v1/cohorts/{cohort.pk}/import/", {})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["file"]


def test_the_api_refuses_a_teacher_of_the_cohort(client, cohort):
    client.force_login(teacher_of(cohort))
    before = _state()
    response = _api_import(client, cohort, student_csv(GOOD_ROWS))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only an admin of the cohort's institution can import students."
    )
    assert _state() == before
