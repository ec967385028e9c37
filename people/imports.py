"""Bulk import of students into a cohort from CSV.

All rows are validated before anything is written; one broken row imports nothing, and
every broken row is reported with its line number and reason. Importing the same file
again changes nothing (existing accounts and memberships are recognised).

Format (UTF-8, comma or semicolon separated, header row required):
    username,first_name,last_name[,email]
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from . import services
from .models import Cohort, Membership, Role, User

REQUIRED_COLUMNS = ("username", "first_name", "last_name")
OPTIONAL_COLUMNS = ("email",)
USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
# Larger uploads are refused before they are read (5000 rows need well under 1 MB).
MAX_FILE_BYTES = 2 * 1024 * 1024


def file_size_problem(size: int) -> str | None:
    """Why an upload of `size` bytes is refused, or None; forms check it before reading."""
    if size > MAX_FILE_BYTES:
        return _("The file is larger than %(max)s; split it into smaller files.") % {
            "max": filesizeformat(MAX_FILE_BYTES)
        }
    return None


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line in the file (the header is line 1); 0 for the whole file
    message: str

    def __str__(self) -> str:
        if self.line:
            return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


@dataclass(frozen=True)
class StudentRow:
    line: int
    username: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class ImportResult:
    created: int = 0  # new accounts
    added: int = 0  # existing accounts newly added to the cohort
    unchanged: int = 0  # already students of the cohort
    errors: tuple[RowError, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "added": self.added,
            "unchanged": self.unchanged,
            "errors": [{"line": e.line, "message": e.message} for e in self.errors],
        }


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Count lines up to the bad byte so the admin can find it.
        line = data[: exc.start].count(b"\n") + 1
        raise _FileError(
            _(
                "The file is not UTF-8 text (first bad byte on line %(line)d). "
                "Save it as 'CSV UTF-8' and try again."
            )
            % {"line": line}
        ) from exc


class _FileError(Exception):
    pass


def parse_rows(data: bytes) -> tuple[list[StudentRow], list[RowError]]:
    """Read and check every row; return the good rows and every problem found."""
    try:
        text = _decode(data)
    except _FileError as exc:
        return [], [RowError(0, str(exc))]
    if not text.strip():
        return [], [RowError(0, _("The file is empty."))]
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return _read_rows(reader)
    except csv.Error as exc:
        # A broken quote or an endless field (often a binary file renamed to .csv).
        return [], [
            RowError(
                reader.line_num,
                _("This line is not valid CSV (%(reason)s). Save the file as CSV and try again.")
                % {"reason": exc},
            )
        ]


def _read_rows(reader) -> tuple[list[StudentRow], list[RowError]]:
    header = [column.strip().lower() for column in next(reader)]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        return [], [
            RowError(
                1,
                _("Missing column(s): %(missing)s. The header must contain: %(required)s.")
                % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS)},
            )
        ]
    unknown = [c for c in header if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        return [], [
            RowError(1, _("Unknown column(s): %(unknown)s.") % {"unknown": ", ".join(unknown)})
        ]
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        # Which of the two would be the real one? Refuse instead of guessing.
        return [], [
            RowError(
                1,
                _("Column(s) named more than once: %(repeated)s.")
                % {"repeated": ", ".join(repeated)},
            )
        ]
    index = {column: header.index(column) for column in header if column}

    rows: list[StudentRow] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    seen = 0  # student rows read so far (blank lines are not rows)
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue  # blank lines are harmless
        seen += 1
        if seen > settings.STUDENT_IMPORT_MAX_ROWS:
            return [], [
                RowError(
                    0,
                    _("The file has more than %(max)d rows; split it into smaller files.")
                    % {"max": settings.STUDENT_IMPORT_MAX_ROWS},
                )
            ]
        if len(values) != len(header):
            errors.append(
                RowError(
                    line,
                    _("Expected %(expected)d values, found %(found)d.")
                    % {"expected": len(header), "found": len(values)},
                )
            )
            continue
        get = {column: values[i].strip() for column, i in index.items()}
        row = StudentRow(
            line=line,
            username=get["username"],
            first_name=get["first_name"],
            last_name=get["last_name"],
            email=get.get("email", ""),
        )
        problems = _row_problems(row)
        key = row.username.lower()
        if row.username and key in first_line_of:
            problems.append(
                _("Username '%(username)s' is also on line %(other)d.")
                % {"username": row.username, "other": first_line_of[key]}
            )
        elif row.username:
            first_line_of[key] = line
        errors.extend(RowError(line, problem) for problem in problems)
        if not problems:
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(0, _("The file has a header but no students.")))
    return rows, errors


def _row_problems(row: StudentRow) -> list[str]:
    problems = []
    if not row.username:
        problems.append(_("The username is empty."))
    elif not USERNAME_RE.match(row.username):
        problems.append(
            _("The username '%(username)s' may contain only letters, digits and . @ + - _")
            % {"username": row.username}
        )
    if not row.first_name:
        problems.append(_("The first name is empty."))
    if not row.last_name:
        problems.append(_("The last name is empty."))
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            problems.append(_("'%(email)s' is not an e-mail address.") % {"email": row.email})
    return problems


def _existing_users(rows: list[StudentRow]) -> dict[str, User]:
    """Accounts whose username matches a row's, ignoring letter case: to a teacher,
    'Aysel.Aliyeva' and 'aysel.aliyeva' are one person, never two accounts."""
    keys = {row.username.lower() for row in rows}
    return {
        user.username.lower(): user
        for user in User.objects.annotate(username_lower=Lower("username")).filter(
            username_lower__in=keys
        )
    }


def _conflicts(rows: list[StudentRow]) -> list[RowError]:
    """Usernames that already belong to a different person are refused, not merged."""
    existing = _existing_users(rows)
    errors = []
    for row in rows:
        user = existing.get(row.username.lower())
        if user and (user.first_name, user.last_name) != (row.first_name, row.last_name):
            errors.append(
                RowError(
                    row.line,
                    _(
                        "Username '%(username)s' already belongs to %(name)s; "
                        "choose another username."
                    )
                    % {"username": row.username, "name": user.get_full_name() or user.username},
                )
            )
    return errors


def student_import(*, cohort: Cohort, data: bytes) -> ImportResult:
    """Validate the whole file, then create accounts and memberships in one transaction."""
    rows, errors = parse_rows(data)
    if not errors:
        errors = _conflicts(rows)
    if errors:
        return ImportResult(errors=tuple(errors))

    created = added = unchanged = 0
    with transaction.atomic():
        existing = _existing_users(rows)
        members = set(
            Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values_list(
                "user_id", flat=True
            )
        )
        for row in rows:
            user = existing.get(row.username.lower())
            if user is None:
                user = User(
                    username=row.username,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    email=row.email,
                )
                # Nobody knows this password; students choose theirs via "forgot password".
                user.set_unusable_password()
                user.save()
                created += 1
            elif user.pk in members:
                unchanged += 1
                continue
            else:
                added += 1
            services.membership_create(user=user, role=Role.STUDENT, cohort=cohort)
    return ImportResult(created=created, added=added, unchanged=unchanged)
