"""A report document (reports.document, already protected) rendered as a file: JSON,
CSV, XLSX or PDF.

Every format is drawn from that dict alone, so no file can hold more than the page or
the API shows: aggregates, perturbed as the document has them, with suppressed figures
left empty. CSV and XLSX are written by
the platform's one formula-safe writer, cms.exports.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from cms.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, Sheet, csv_bytes, xlsx_bytes

from .document.pdf import report_pdf
from .document.texts import SECTION_TITLES, noise_note

CONTENT_TYPES = {
    "json": "application/json",
    "csv": CSV_CONTENT_TYPE,
    "xlsx": XLSX_CONTENT_TYPE,
    "pdf": "application/pdf",
}


def filename(report: dict, fmt: str) -> str:
    scope = report["filters"].get("institution") or report["filters"].get("region") or "country"
    return f"skills-report-{scope}-{report['period']}-{report['framework']['slug']}.{fmt}"


def render(report: dict, fmt: str) -> bytes:
    return {"json": as_json, "csv": as_csv, "xlsx": as_xlsx, "pdf": as_pdf}[fmt](report)


def as_json(report: dict) -> bytes:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1).encode()


def _headers(report: dict) -> list[str]:
    return [
        _("Section"),
        _("Key"),
        _("Name"),
        _("Students enrolled"),
        _("Active students"),
        _("Completed a course"),
        _("Completion rate"),
        _("Competence results"),
        _("Average level"),
        *[
            _("Band %(key)s: %(label)s") % {"key": b["key"], "label": b["label"]}
            for b in report["bands"]
        ],
    ]


def _table_rows(report: dict):
    """(section title, row dict) for every row of every table, total first."""
    yield _("Total"), report["total"]
    for name, rows in report["breakdowns"].items():
        for row in rows:
            yield SECTION_TITLES[name](), row
    for row in report["competences"]:
        yield _("By competence"), row


def _cells(section: str, row: dict) -> list:
    bands = {b["key"]: b["count"] for b in row.get("bands", [])}
    return [
        section,
        row["key"],
        row["label"],
        row.get("enrolled"),
        row.get("active"),
        row.get("completed"),
        row.get("completion_rate"),
        row["results"],
        row["average_level"],
        *[bands.get(key) for key in bands],
    ]


def _summary(report: dict) -> list[list]:
    return [
        [_("Period"), report["period"]],
        [_("Academic year"), report["academic_year"]],
        [_("Framework"), report["framework"]["name"]],
        [_("Scope"), report["total"]["label"]],
        [_("Minimum group size"), report["min_group_size"]],
        [_("Generated"), report["generated_at"]],
        [_("Schema"), f"{report['schema']} (version {report['schema_version']})"],
    ]


def _trend(report: dict) -> list[list]:
    return [
        [_("Month"), _("Active students"), _("Competence results"), _("Average level")],
        *(
            [row["month"], row["active"], row["results"], row["average_level"]]
            for row in report["trend"]
        ),
    ]


def as_csv(report: dict) -> bytes:
    """One table: a line of what the report is, every row of every table, the trend."""
    head = [
        _("Period"),
        report["period"],
        _("Framework"),
        report["framework"]["name"],
        _("Scope"),
        report["scope"],
        _("Minimum group size"),
        report["min_group_size"],
        _("Largest perturbation"),
        report["perturbation"]["max_noise"],
    ]
    return csv_bytes(
        [
            head,
            _headers(report),
            *(_cells(section, row) for section, row in _table_rows(report)),
            [],
            *_trend(report),
        ]
    )


def as_xlsx(report: dict) -> bytes:
    """A summary sheet, one sheet per table, and the trend."""
    note = [_("Empty cells are suppressed: fewer students than the minimum group size.")]
    sheets = [
        Sheet(_("Summary"), [*_summary(report), [], note, [noise_note(report)]], header_rows=0)
    ]

    def table(title: str, rows: list[dict]) -> Sheet:
        return Sheet(title, [_headers(report), *(_cells(title, row) for row in rows)])

    sheets.append(table(_("Total"), [report["total"]]))
    for name, rows in report["breakdowns"].items():
        sheets.append(table(SECTION_TITLES[name](), rows))
    sheets.append(table(_("By competence"), report["competences"]))
    sheets.append(Sheet(_("Trend"), _trend(report)))
    return xlsx_bytes(sheets)


def as_pdf(report: dict) -> bytes:
    """Legend, charts and every table (reports/document/pdf.py)."""
    return report_pdf(report)
