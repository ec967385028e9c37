"""Bulk import of students into a cohort from CSV.

All rows are validated before anything is written; one broken row imports nothing, and
every broken row is reported with its line number and reason. Importing the same file
again changes nothing (existing accounts and memberships are recognised).

An existing username is matched only to an account the cohort's institution may manage
(`access.importable_accounts`: a member of that institution, never staff or a superuser).
Any other existing username is refused with a message that names nobody; the name of the
row is compared only after that, so a refusal never confirms a guessed name. Platform
staff alone, through `import_students --allow-transfer`, may move a student of another
institution (`access.transferable_accounts`); each move is logged.

Format (UTF-8, comma, semicolon or tab separated, quoted as Excel quotes, header row
required):
    username,first_name,last_name[,email]
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import access, services
from .models import Cohort, Membership, Role, User

logger = logging.getLogger(__name__)

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


# RowError.code of a row refused because its username belongs to another institution's
# account: the command tells staff about --allow-transfer.
OUTSIDE_INSTITUTION = "outside_institution"


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line in the file (the header is line 1); 0 for the whole file
    message: str
    code: str = ""  # for callers that react to a kind of problem; never shown

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
    # usernames moved from another institution (`allow_transfer`), also counted in `added`
    transferred: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts_text(self) -> str:
        """The counts, as in "3 new accounts, 1 existing account added, 0 already in the cohort"."""
        return ", ".join(
            (
                ngettext("%(count)d new account", "%(count)d new accounts", self.created)
                % {"count": self.created},
                ngettext(
                    "%(count)d existing account added",
                    "%(count)d existing accounts added",
                    self.added,
                )
                % {"count": self.added},
                ngettext(
                    "%(count)d already in the cohort",
                    "%(count)d already in the cohort",
                    self.unchanged,
                )
                % {"count": self.unchanged},
            )
        )

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
    reader = csv.reader(io.StringIO(text), _dialect(text))
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


# The dialect is read from the file's first lines, up to this many characters.
DIALECT_SAMPLE_CHARS = 64 * 1024


class _SpreadsheetCSV(csv.excel):
    """Excel's CSV: fields quoted with ", and a " inside a quoted field doubled."""


def _dialect(text: str) -> type[csv.Dialect]:
    """The file's separator (comma, semicolon or tab), detected by the csv module on a
    sample of whole lines, not on the header alone: a quoted name holding a comma or a
    semicolon is what tells them apart. Quoting is Excel's, as every spreadsheet writes
    it: double quotes, doubled inside a quoted field (even when the sample holds none; a
    sniffer that saw no quote would otherwise read `""` as the end of the field)."""
    sample = text[:DIALECT_SAMPLE_CHARS]
    if len(text) > DIALECT_SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # whole lines only
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel  # one column, or no separator the sniffer trusts: commas
    return type(
        "DetectedDialect",
        (_SpreadsheetCSV,),
        {
            "delimiter": sniffed.delimiter,
            "skipinitialspace": sniffed.skipinitialspace,
        },
    )


def _read_rows(reader) -> tuple[list[StudentRow], list[RowError]]:
    header = [column.strip().lower() for column in next(reader)]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        return [], [
            RowError(
                1,
                ngettext(
                    "Missing column: %(missing)s. The header must contain: %(required)s.",
                    "Missing columns: %(missing)s. The header must contain: %(required)s.",
                    len(missing),
                )
                % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS)},
            )
        ]
    unknown = [c for c in header if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        return [], [
            RowError(
                1,
                ngettext(
                    "Unknown column: %(unknown)s.", "Unknown columns: %(unknown)s.", len(unknown)
                )
                % {"unknown": ", ".join(unknown)},
            )
        ]
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        # Which of the two would be the real one? Refuse instead of guessing.
        return [], [
            RowError(
                1,
                ngettext(
                    "Column named more than once: %(repeated)s.",
                    "Columns named more than once: %(repeated)s.",
                    len(repeated),
                )
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
                    ngettext(
                        "The file has more than %(max)d row; split it into smaller files.",
                        "The file has more than %(max)d rows; split it into smaller files.",
                        settings.STUDENT_IMPORT_MAX_ROWS,
                    )
                    % {"max": settings.STUDENT_IMPORT_MAX_ROWS},
                )
            ]
        if len(values) != len(header):
            errors.append(
                RowError(
                    line,
                    ngettext(
                        "Expected %(expected)d value, found %(found)d.",
                        "Expected %(expected)d values, found %(found)d.",
                        len(header),
                    )
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


def _same_names(user: User, row: StudentRow) -> bool:
    return (user.first_name, user.last_name) == (row.first_name, row.last_name)


def _refusals(
    rows: list[StudentRow], existing: dict[str, User], *, cohort: Cohort, allow_transfer: bool
) -> tuple[list[RowError], set[int]]:
    """Rows whose username belongs to an account this import may not reach, and the ids of
    the accounts it will move from another institution (only with `allow_transfer`).

    Reach is decided before names are compared and every refusal reads the same whatever
    the name in the row, so no answer tells who owns a username or confirms a guess."""
    ids = [user.pk for user in existing.values()]
    inside = set(
        access.institution_members(cohort.institution_id)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    importable = set(
        access.importable_accounts(cohort).filter(pk__in=ids).values_list("pk", flat=True)
    )
    transferable = (
        set(access.transferable_accounts().filter(pk__in=ids).values_list("pk", flat=True))
        if allow_transfer
        else set()
    )
    errors: list[RowError] = []
    transfers: set[int] = set()
    for row in rows:
        user = existing.get(row.username.lower())
        if user is None:
            continue
        values = {"username": row.username}
        if user.pk in importable or user.pk in transferable:
            if not _same_names(user, row):
                errors.append(
                    RowError(
                        row.line,
                        _(
                            "Username '%(username)s' belongs to another person (the names in "
                            "the file differ); check the names or choose another username."
                        )
                        % values,
                    )
                )
            elif user.pk not in importable:
                transfers.add(user.pk)
        elif allow_transfer or user.pk in inside:
            # Staff (who run transfers) and the institution's own admins may know the
            # account exists; they learn only that an import cannot add it.
            errors.append(
                RowError(
                    row.line,
                    _(
                        "Username '%(username)s' belongs to an account that cannot be added "
                        "to a cohort by import; choose another username."
                    )
                    % values,
                )
            )
        else:
            errors.append(
                RowError(
                    row.line,
                    _(
                        "Username '%(username)s' is taken by an account outside your "
                        "institution; choose another username or ask that institution to "
                        "transfer the student."
                    )
                    % values,
                    code=OUTSIDE_INSTITUTION,
                )
            )
    return errors, transfers


def student_import(*, cohort: Cohort, data: bytes, allow_transfer: bool = False) -> ImportResult:
    """Validate the whole file, then create accounts and memberships in one transaction.

    `allow_transfer` lets the import add students of other institutions (never anyone
    else); only platform staff may ask for it, on the command line. Web pages and the API
    never do."""
    rows, errors = parse_rows(data)
    if errors:
        return ImportResult(errors=tuple(errors))

    created = added = unchanged = 0
    moved: list[User] = []
    with transaction.atomic():
        # Decide and write on one reading of the accounts, so nothing checked can change
        # between the check and the write.
        existing = _existing_users(rows)
        errors, transfers = _refusals(rows, existing, cohort=cohort, allow_transfer=allow_transfer)
        if errors:
            return ImportResult(errors=tuple(errors))
        members = set(
            Membership.objects.filter(cohort=cohort, role=Role.STUDENT).values_list(
                "user_id", flat=True
            )
        )
        came_from = _institutions_of(transfers)
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
                if user.pk in transfers:
                    moved.append(user)
            services.membership_create(user=user, role=Role.STUDENT, cohort=cohort)
    for user in moved:
        # Who moved whom is for the platform's operators: an audit line, not a message.
        logger.warning(
            "student import moved user %s (id %d) from institution(s) %s into cohort %s "
            "of institution %s (--allow-transfer)",
            user.username,
            user.pk,
            ", ".join(came_from.get(user.pk, [])),
            cohort.code,
            cohort.institution.code,
        )
    return ImportResult(
        created=created,
        added=added,
        unchanged=unchanged,
        transferred=tuple(user.username for user in moved),
    )


def _institutions_of(user_ids: set[int]) -> dict[int, list[str]]:
    """Codes of the institutions whose cohorts each user studies in, for the transfer log."""
    codes: dict[int, set[str]] = {}
    for user_id, code in Membership.objects.filter(
        user_id__in=user_ids, cohort__isnull=False
    ).values_list("user_id", "cohort__institution__code"):
        codes.setdefault(user_id, set()).add(code)
    return {user_id: sorted(found) for user_id, found in codes.items()}
