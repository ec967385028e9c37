"""The one writer of CSV and XLSX files for the whole platform (gradebooks, progress
tables, ministry reports).

Every text cell is made formula-safe: a spreadsheet program runs a cell that starts with
`=`, `+`, `-` or `@` as a formula (a student named `=HYPERLINK(...)` would otherwise
become a link in the teacher's gradebook), so such text gets a leading apostrophe, which
spreadsheets show as plain text. Numbers, dates and empty cells are written as they are.
CSV files start with a BOM so that spreadsheet programs read UTF-8 names correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """A cell value a spreadsheet shows as written; None becomes an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    if not isinstance(value, str | int | float) and not hasattr(value, "isoformat"):
        return safe_cell(str(value))  # lazy translations and other objects: their text
    return value


def csv_bytes(rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()


@dataclass
class Sheet:
    """One worksheet: a title (cut to Excel's 31 characters), rows, and how many of the
    first rows are headers (bold, frozen)."""

    title: str
    rows: list[Sequence] = field(default_factory=list)
    header_rows: int = 1


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook  # heavy; only the export paths need it
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(str(sheet.title)[:31])
        for row in sheet.rows:
            ws.append([safe_cell(value) for value in row])
        for number in range(1, sheet.header_rows + 1):
            for cell in ws[number] if ws.max_row >= number else ():
                cell.font = bold
        if sheet.header_rows:
            ws.freeze_panes = ws.cell(row=sheet.header_rows + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(rows: Iterable[Sequence], *, filename: str) -> HttpResponse:
    return download(csv_bytes(rows), filename=filename, content_type=CSV_CONTENT_TYPE)
