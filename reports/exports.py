"""A report document (reports.document, already protected) rendered as a file: JSON,
CSV, XLSX or PDF.

Every format is drawn from that dict alone, so no file can hold more than the page or
the API shows: aggregates, perturbed as the document has them, with suppressed figures
left empty. CSV and XLSX are written by
the platform's one formula-safe writer, cms.exports.
"""

from __future__ import annotations

import io
import json

from django.utils.translation import gettext as _

from cms.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, Sheet, csv_bytes, xlsx_bytes

from .charts import pdf_font

CONTENT_TYPES = {
    "json": "application/json",
    "csv": CSV_CONTENT_TYPE,
    "xlsx": XLSX_CONTENT_TYPE,
    "pdf": "application/pdf",
}
SECTION_TITLES = {
    "region": lambda: _("By region"),
    "institution": lambda: _("By institution"),
    "cohort": lambda: _("By cohort"),
    "kind": lambda: _("By institution kind"),
    "track": lambda: _("By track"),
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


def _noise_note(report: dict) -> str:
    return _(
        "Counts of %(k)d or more are shifted by at most %(d)d (cell-key method), the same way "
        "for the same students in every report; rows need not add up exactly to their total."
    ) % {"k": report["min_group_size"], "d": report["perturbation"]["max_noise"]}


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
        Sheet(_("Summary"), [*_summary(report), [], note, [_noise_note(report)]], header_rows=0)
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
    """Two charts (average level by competence, by month) and every table."""
    # reportlab is heavy; only this path needs it
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font, bold_font = pdf_font()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    styles["Title"].fontName = bold_font
    styles["Heading2"].fontName = bold_font

    def cell(value) -> str:
        return "–" if value is None else str(value)

    story = [
        Paragraph(_("Digital skills report"), styles["Title"]),
        Paragraph(
            f"{report['total']['label']} · {report['period']} · {report['framework']['name']}",
            styles["Normal"],
        ),
        Paragraph(
            _(
                "Aggregates only; “–” marks figures suppressed because fewer than %(k)d students "
                "are behind them."
            )
            % {"k": report["min_group_size"]},
            styles["Italic"],
        ),
        Paragraph(_noise_note(report), styles["Italic"]),
        Spacer(1, 0.4 * cm),
    ]

    # Chart 1: average level by competence
    competences = [c for c in report["competences"] if c["average_level"] is not None]
    if competences:
        height = 40 + 14 * len(competences)
        drawing = Drawing(17 * cm, height)
        chart = HorizontalBarChart()
        chart.x, chart.y, chart.width, chart.height = 60, 20, 17 * cm - 80, height - 30
        chart.data = [[c["average_level"] for c in competences]]
        chart.categoryAxis.categoryNames = [c["key"] for c in competences]
        chart.categoryAxis.labels.fontName = font
        chart.valueAxis.labels.fontName = font
        chart.valueAxis.valueMin = 0
        chart.bars[0].fillColor = colors.HexColor("#00599c")
        drawing.add(chart)
        drawing.add(
            String(
                0, height - 10, _("Average level by competence"), fontName=bold_font, fontSize=10
            )
        )
        story += [drawing, Spacer(1, 0.4 * cm)]

    # Chart 2: trend of the average level
    months = [t for t in report["trend"] if t["average_level"] is not None]
    if len(months) >= 2:
        drawing = Drawing(17 * cm, 160)
        chart = HorizontalLineChart()
        chart.x, chart.y, chart.width, chart.height = 40, 30, 17 * cm - 60, 110
        chart.data = [[t["average_level"] for t in months]]
        chart.categoryAxis.categoryNames = [t["month"] for t in months]
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.labels.fontName = font
        chart.valueAxis.valueMin = 0
        chart.lines[0].strokeColor = colors.HexColor("#1c7c3a")
        chart.lines[0].strokeWidth = 2
        drawing.add(chart)
        drawing.add(String(0, 150, _("Average level by month"), fontName=bold_font, fontSize=10))
        story += [drawing, Spacer(1, 0.4 * cm)]

    band_keys = [b["key"] for b in report["bands"]]
    header = [
        _("Name"),
        _("Enrolled"),
        _("Active"),
        _("Completed"),
        _("Results"),
        _("Avg"),
        *band_keys,
    ]
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTNAME", (0, 0), (-1, 0), bold_font),
            ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ]
    )

    def rows_table(title: str, rows: list[dict]) -> None:
        data = [header]
        for row in rows:
            bands = {b["key"]: b["count"] for b in row.get("bands", [])}
            data.append(
                [
                    row["label"][:40],
                    cell(row.get("enrolled")),
                    cell(row.get("active")),
                    cell(row.get("completed")),
                    cell(row["results"]),
                    cell(row["average_level"]),
                    *[cell(bands.get(k)) for k in band_keys],
                ]
            )
        story.extend(
            [
                Paragraph(title, styles["Heading2"]),
                Table(data, repeatRows=1, style=style),
                Spacer(1, 0.3 * cm),
            ]
        )

    rows_table(_("Total"), [report["total"]])
    for name, rows in report["breakdowns"].items():
        rows_table(SECTION_TITLES[name](), rows)
    rows_table(_("By competence"), report["competences"])

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_("Digital skills report"),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
    ).build(story)
    return out.getvalue()
