"""CSV files as spreadsheets save them: Excel puts a field that holds the separator or a
quote between quotes, and doubles each quote inside it. The import reads the dialect
(separator, quoting) from a sample of the file, not from the header line alone, which has
no quotes to learn from."""

from __future__ import annotations

import pytest

from people.imports import parse_rows, student_import
from people.models import User
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return CohortFactory(code="baku-6-9a")


def names(data: bytes) -> list[tuple[str, str, str, str]]:
    rows, errors = parse_rows(data)
    assert not errors, [str(e) for e in errors]
    return [(r.username, r.first_name, r.last_name, r.email) for r in rows]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_excel_quoting_with_doubled_quotes_is_read(delimiter):
    d = delimiter
    data = (
        f"username{d}first_name{d}last_name{d}email\r\n"
        f'ali.a{d}"Ali ""Alik"""{d}Aliyev{d}ali@example.az\r\n'
        f'leyla.h{d}Leyla{d}"Hasanova{d} ""Jr."""{d}\r\n'
        f"murad.m{d}Murad{d}Mammadov{d}\r\n"
    ).encode()

    assert names(data) == [
        ("ali.a", 'Ali "Alik"', "Aliyev", "ali@example.az"),
        ("leyla.h", "Leyla", f'Hasanova{d} "Jr."', ""),
        ("murad.m", "Murad", "Mammadov", ""),
    ]


def test_a_doubled_quote_far_down_the_file_is_read_too():
    lines = ["username,first_name,last_name"]
    lines += [f"student{n},Name{n},Surname{n}" for n in range(3000)]
    lines.append('o.brien,"Sean ""the Brave""",O\'Brien')
    data = ("\r\n".join(lines) + "\r\n").encode()

    rows = names(data)

    assert rows[-1] == ("o.brien", 'Sean "the Brave"', "O'Brien", "")


def test_a_quoted_file_imports_through_the_service(cohort):
    data = (
        "username;first_name;last_name;email\r\n"
        'rashad.k;"Rəşad ""Rəşo""";Kərimov;rashad@example.az\r\n'
    ).encode()

    result = student_import(cohort=cohort, data=data)

    assert result.ok, [str(e) for e in result.errors]
    assert User.objects.get(username="rashad.k").first_name == 'Rəşad "Rəşo"'
