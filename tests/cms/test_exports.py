"""The one CSV/XLSX writer: what a spreadsheet program opening the file would run or show."""

import csv
import io
from datetime import date

from openpyxl import load_workbook

from cms.exports import Sheet, csv_bytes, csv_response, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def test_csv_text_that_a_spreadsheet_would_run_is_written_as_text():
    data = csv_bytes([["name", "score"], *[[text, 3] for text in HOSTILE], ["Aysel", -1.5]])

    assert data.startswith("\ufeff".encode())  # spreadsheet programs read UTF-8 names
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:-1]] == ["'" + text for text in HOSTILE]
    assert rows[-1] == ["Aysel", "-1.5"]  # a negative number is a number, not a formula


def test_csv_response_is_a_download():
    response = csv_response([["a"], [None]], filename="book.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="book.csv"'
    assert response.content.decode("utf-8-sig").splitlines() == ["a", '""']


def test_xlsx_cells_are_values_never_formulas():
    data = xlsx_bytes(
        [
            Sheet(
                "A sheet whose title is longer than Excel allows",
                [["name", "score", "day"]] + [[text, 2, date(2026, 9, 1)] for text in HOSTILE],
            ),
            Sheet("Second", [["x"]], header_rows=0),
        ]
    )

    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["A sheet whose title is longer t", "Second"]
    sheet = book.worksheets[0]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    for row, text in enumerate(HOSTILE, start=2):
        cell = sheet.cell(row=row, column=1)
        # (XML keeps a carriage return as a line feed)
        assert cell.data_type == "s" and cell.value == "'" + text.replace("\r", "\n")
        assert sheet.cell(row=row, column=2).value == 2
    assert book.worksheets[1].freeze_panes is None
