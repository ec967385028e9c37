"""A report (the suppressed dict of selectors.report_build) rendered as a file.

Every format is drawn from that dict alone, so no file can hold more than the page or
the API shows: aggregates, with suppressed figures left empty.
"""

from __future__ import annotations

import csv
import io
import json

from django.utils.translation import gettext as _

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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


def _blank(value):
    return "" if value is None else value


def as_csv(report: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Period"),
            report["period"],
            _("Framework"),
            report["framework"]["name"],
            _("Scope"),
            report["scope"],
            _("Minimum group size"),
            report["min_group_size"],
        ]
    )
    writer.writerow(_headers(report))
    for section, row in _table_rows(report):
        writer.writerow([_blank(v) for v in _cells(section, row)])
    writer.writerow([])
    writer.writerow([_("Month"), _("Active students"), _("Competence results"), _("Average level")])
    for row in report["trend"]:
        writer.writerow(
            [
                row["month"],
                _blank(row["active"]),
                _blank(row["results"]),
                _blank(row["average_level"]),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()  # BOM: spreadsheet programs read UTF-8


def as_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    bold = Font(bold=True)
    for label, value in [
        (_("Period"), report["period"]),
        (_("Academic year"), report["academic_year"]),
        (_("Framework"), report["framework"]["name"]),
        (_("Scope"), report["total"]["label"]),
        (_("Minimum group size"), report["min_group_size"]),
        (_("Generated"), report["generated_at"]),
        (_("Schema"), f"{report['schema']} (version {report['schema_version']})"),
    ]:
        summary.append([label, value])
        summary.cell(row=summary.max_row, column=1).font = bold
    summary.append([])
    summary.append([_("Empty cells are suppressed: fewer students than the minimum group size.")])

    def table(title: str, rows_with_section) -> None:
        sheet = book.create_sheet(title[:31])
        sheet.append(_headers(report))
        for cell in sheet[1]:
            cell.font = bold
        for section, row in rows_with_section:
            sheet.append(_cells(section, row))
        sheet.freeze_panes = "A2"

    table(_("Total"), [(_("Total"), report["total"])])
    for name, rows in report["breakdowns"].items():
        table(SECTION_TITLES[name](), [(SECTION_TITLES[name](), r) for r in rows])
    table(_("By competence"), [(_("By competence"), r) for r in report["competences"]])
    trend = book.create_sheet(_("Trend")[:31])
    trend.append([_("Month"), _("Active students"), _("Competence results"), _("Average level")])
    for cell in trend[1]:
        cell.font = bold
    for row in report["trend"]:
        trend.append([row["month"], row["active"], row["results"], row["average_level"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_pdf(report: dict) -> bytes:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from .charts import pdf_font

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
