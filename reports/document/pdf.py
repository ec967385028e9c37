"""The report document as a PDF for the ministry (reportlab), drawn from the protected
document alone, like every other file: nothing in it can show more than the page or the
API.

What it holds, in the order the dashboard shows it: the scope and a legend (how a
suppressed cell and a not-applicable cell read, the bands and their colours, the
perturbation), the total, the average level and the band distribution of every
competence (its code and full name, wrapped), the trend by month, then every table.
Charts are scaled to the framework's levels (DigComp 0-8, UNESCO 0-3).

Privacy: a suppressed figure is null in the document and stays without a figure here: its
cell holds the suppressed sign, its bar is not drawn, and no number is derived from it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..charts import (
    ACTIVE_COLOUR,
    AVERAGE_COLOUR,
    BAND_COLOURS,
    TREND_COLOUR,
    count_ticks,
    nice_ceiling,
    pdf_font,
    top_level,
)
from .texts import (
    SECTION_TITLES,
    Mark,
    band_cell,
    cell,
    mark_meaning,
    mark_text,
    noise_note,
)

MARGIN = 1.6 * cm
FRAME_PADDING = 6  # reportlab's Frame pads its content by 6 points on each side
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING  # what a table or a chart may take, in points
PAD = 3  # a table cell's left and right padding
INK = colors.HexColor("#1d2433")
MUTED = colors.HexColor("#5b6478")
GRID = colors.HexColor("#d9dee8")
HEAD = colors.HexColor("#eef2f7")
SUPPRESSED_FILL = colors.HexColor("#dfe3ea")


class Styles:
    """The document's paragraph styles, in the report font (Azerbaijani and Cyrillic)."""

    def __init__(self) -> None:
        self.font, self.bold = pdf_font()

        def style(name: str, size: float, *, bold: bool = False, **kw) -> ParagraphStyle:
            kw.setdefault("textColor", INK)
            return ParagraphStyle(
                name,
                fontName=self.bold if bold else self.font,
                fontSize=size,
                leading=size * 1.25,
                **kw,
            )

        self.title = style("title", 18, bold=True, spaceAfter=4)
        self.subtitle = style("subtitle", 10.5, spaceAfter=6)
        self.h2 = style("h2", 12.5, bold=True, spaceBefore=12, spaceAfter=5, keepWithNext=1)
        self.body = style("body", 8.5, spaceAfter=3)
        self.note = style("note", 7.5, textColor=MUTED, spaceAfter=3)
        self.cell = style("cell", 7)
        self.head = style("head", 6.5, bold=True)
        self.head_right = style("head-right", 6.5, bold=True, alignment=TA_RIGHT)


def number(value: float | int, decimals: int = 0) -> str:
    """A figure as the active language writes it."""
    if not decimals:
        return str(formats.number_format(round(value)))
    return str(formats.number_format(value, decimal_pos=decimals))


def shown(value, kind: str = "count") -> tuple[str, Mark | None]:
    """A cell's text and its mark (None for a figure)."""
    if isinstance(value, Mark):
        return mark_text(value), value
    if kind == "average":
        return number(value, 1), None
    if kind == "rate":
        return f"{number(round(value * 100))}%", None
    return number(value), None


def mark_styles(marks: dict[tuple[int, int], Mark]) -> list[tuple]:
    """Table style commands that set a suppressed cell apart (grey) from one that does not
    apply (muted text)."""
    out: list[tuple] = []
    for (col, row), mark in marks.items():
        if mark is Mark.SUPPRESSED:
            out.append(("BACKGROUND", (col, row), (col, row), SUPPRESSED_FILL))
        else:
            out.append(("TEXTCOLOR", (col, row), (col, row), MUTED))
    return out


def base_table_style(styles: Styles, *, header: bool = True) -> list[tuple]:
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), styles.font),
        ("FONTSIZE", (0, 0), (-1, -1), 7),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ]
    return commands


def name_text(row: dict, *, code: bool = False) -> str:
    """A row's name as paragraph markup: a competence as "<b>1.1</b> Browsing, ...", whole."""
    label = escape(str(row["label"]))
    return f"<b>{escape(str(row['key']))}</b> {label}" if code else label


def column_width(styles: Styles, header: str, values: Sequence[str]) -> float:
    """Wide enough for the longest word of the header and the widest value."""
    words = [stringWidth(w, styles.bold, 6.5) for w in header.split()] or [0]
    figures = [stringWidth(v, styles.font, 7) for v in values] or [0]
    return max(*words, *figures, 14) + 2 * PAD + 1


def figures_table(
    styles: Styles,
    report: dict,
    rows: list[dict],
    columns: Sequence[tuple[str, str, str]],
    *,
    code: bool = False,
    first: str | None = None,
    bands: bool = True,
    total: bool = False,
) -> Table:
    """A table of rows: the name (wrapped, whole), then one column per (header, field,
    kind) and one per band (unless not `bands`), each cell a figure or a mark; `total`:
    the figures in bold."""
    band_keys = [b["key"] for b in report["bands"]] if bands else []
    body: list[list] = []
    marks: dict[tuple[int, int], Mark] = {}
    texts: list[list[str]] = []
    for r, row in enumerate(rows, start=1):
        line = []
        for c, (_header, field, kind) in enumerate(columns, start=1):
            text, mark = shown(cell(row, field), kind)
            line.append(text)
            if mark:
                marks[(c, r)] = mark
        for c, key in enumerate(band_keys, start=len(columns) + 1):
            text, mark = shown(band_cell(row, key))
            line.append(text)
            if mark:
                marks[(c, r)] = mark
        texts.append(line)
    headers = [header for header, _field, _kind in columns] + band_keys
    widths = [
        column_width(styles, header, [line[i] for line in texts])
        for i, header in enumerate(headers)
    ]
    name_width = max(WIDTH - sum(widths), 3 * cm)
    head = [Paragraph(escape(first or _("Name")), styles.head)] + [
        Paragraph(escape(h), styles.head_right) for h in headers
    ]
    for row, line in zip(rows, texts, strict=True):
        body.append([Paragraph(name_text(row, code=code), styles.cell), *line])
    style = base_table_style(styles)
    style += [("ALIGN", (1, 0), (-1, -1), "RIGHT")]
    style += mark_styles(marks)
    if total:
        style.append(("FONTNAME", (1, 1), (-1, -1), styles.bold))
    return Table(
        [head, *body],
        colWidths=[name_width, *widths],
        repeatRows=1,
        style=TableStyle(style),
        hAlign="LEFT",
    )


GROUP_COLUMNS = (
    (lambda: _("Enrolled"), "enrolled", "count"),
    (lambda: _("Active"), "active", "count"),
    (lambda: _("Completed a course"), "completed", "count"),
    (lambda: _("Completion rate"), "completion_rate", "rate"),
    (lambda: _("Competence results"), "results", "count"),
    (lambda: _("Average level"), "average_level", "average"),
)
COMPETENCE_COLUMNS = (
    (lambda: _("Competence results"), "results", "count"),
    (lambda: _("Average level"), "average_level", "average"),
)
TREND_COLUMNS = (
    (lambda: _("Active students"), "active", "count"),
    (lambda: _("Competence results"), "results", "count"),
    (lambda: _("Average level"), "average_level", "average"),
)


def columns(spec) -> list[tuple[str, str, str]]:
    return [(header(), field, kind) for header, field, kind in spec]


# ---------------------------------------------------------------------------------------
# The legend
# ---------------------------------------------------------------------------------------
class Swatch(Flowable):
    """A small square of a chart's colour, or the dashed box of a suppressed share."""

    def __init__(self, fill, *, dashed: bool = False, line: bool = False, size: float = 8):
        super().__init__()
        self.fill, self.dashed, self.line, self.size = fill, dashed, line, size
        self.width = self.height = size

    def draw(self) -> None:
        c = self.canv
        if self.line:
            c.setStrokeColor(self.fill)
            c.setLineWidth(1.6)
            c.line(0, self.size / 2, self.size + 6, self.size / 2)
            c.setFillColor(self.fill)
            c.circle(self.size / 2 + 3, self.size / 2, 1.8, stroke=0, fill=1)
            return
        c.setFillColor(self.fill)
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.6)
        if self.dashed:
            c.setDash(1.5, 1.2)
        c.rect(0, 0, self.size, self.size, stroke=1 if self.dashed else 0, fill=1)


def legend(styles: Styles, report: dict) -> list[Flowable]:
    """How to read the report: the two signs, the levels and bands, the noise."""
    signs = []
    marks: dict[tuple[int, int], Mark] = {}
    for r, mark in enumerate((Mark.SUPPRESSED, Mark.NOT_APPLICABLE)):
        signs.append([mark_text(mark), Paragraph(escape(mark_meaning(mark, report)), styles.body)])
        marks[(0, r)] = mark
    style = base_table_style(styles, header=False)
    style += [("ALIGN", (0, 0), (0, -1), "CENTER"), ("FONTSIZE", (0, 0), (0, -1), 8)]
    style += mark_styles(marks)
    top = top_level(report)
    bands = "; ".join(f"<b>{escape(b['key'])}</b>: {escape(b['label'])}" for b in report["bands"])
    return [
        Paragraph(escape(_("How to read this report")), styles.h2),
        Table(
            signs,
            colWidths=[1.3 * cm, WIDTH - 1.3 * cm],
            style=TableStyle(style),
            hAlign="LEFT",
        ),
        Spacer(1, 4),
        Paragraph(
            escape(
                _(
                    "Levels run from 1 to %(top)d in this framework; 0 means evidence, but no "
                    "level reached yet. Charts of the average level are drawn on that scale."
                )
                % {"top": top}
            ),
            styles.body,
        ),
        Paragraph(
            escape(
                _("Band columns count competence results: one per student and competence assessed.")
            )
            + " "
            + bands,
            styles.body,
        ),
        Paragraph(escape(noise_note(report)), styles.body),
    ]


def band_legend(styles: Styles, report: dict, *, suppressed: bool) -> Table:
    """The colours of the bands (full names, wrapped), and of a suppressed share."""
    items = [
        (Swatch(colors.HexColor(BAND_COLOURS[i % len(BAND_COLOURS)])), f"{b['key']}: {b['label']}")
        for i, b in enumerate(report["bands"])
    ]
    if suppressed:
        items.append((Swatch(colors.white, dashed=True), _("suppressed bands")))
    per_row = 3
    cells = []
    for start in range(0, len(items), per_row):
        line = []
        for swatch, text in items[start : start + per_row]:
            line += [swatch, Paragraph(escape(text), styles.cell)]
        line += [""] * (2 * per_row - len(line))
        cells.append(line)
    text_width = WIDTH / per_row - 14
    return Table(
        cells,
        colWidths=[14, text_width] * per_row,
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        ),
        hAlign="LEFT",
    )


# ---------------------------------------------------------------------------------------
# Charts: one row per competence, its code and full name wrapped beside its bar
# ---------------------------------------------------------------------------------------
NAME_WIDTH = 8.4 * cm
BAR_HEIGHT = 8


def scale(
    styles: Styles, ticks: Sequence[tuple[float, str]], width: float, *, height: float = 10
) -> Drawing:
    """The axis above a chart's bars: a label at each tick (fraction of the width)."""
    drawing = Drawing(width, height)
    for fraction, label in ticks:
        anchor = "start" if fraction == 0 else "end" if fraction == 1 else "middle"
        drawing.add(
            String(
                fraction * width, 2, label, fontName=styles.font, fontSize=6.5, textAnchor=anchor
            )
        )
    return drawing


def grid_lines(drawing: Drawing, fractions: Sequence[float], width: float, height: float):
    for fraction in fractions:
        x = fraction * width
        drawing.add(Line(x, 0, x, height, strokeColor=GRID, strokeWidth=0.5))


def chart_table(
    styles: Styles,
    rows: list[dict],
    axis: Callable[[float], Drawing],
    value_header: str,
    bar: Callable[[dict, float], Drawing],
    value: Callable[[dict], tuple[str, Mark | None]],
) -> Table:
    """A chart as a table: name | bar | value, the axis repeated on every page. `axis`
    and `bar` draw at the width they are given."""
    values = [value(row) for row in rows]
    value_width = max(column_width(styles, value_header, [t for t, _m in values]), 1.3 * cm)
    bar_width = WIDTH - NAME_WIDTH - value_width
    inner = bar_width - 2 * PAD
    data: list[list] = [["", axis(inner), Paragraph(escape(value_header), styles.head_right)]]
    marks: dict[tuple[int, int], Mark] = {}
    for r, (row, (text, mark)) in enumerate(zip(rows, values, strict=True), start=1):
        if mark:
            marks[(2, r)] = mark
        data.append([Paragraph(name_text(row, code=True), styles.cell), bar(row, inner), text])
    style = base_table_style(styles, header=False)
    style += [
        ("ALIGN", (2, 0), (2, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, MUTED),
    ]
    style += mark_styles(marks)
    return Table(
        data,
        colWidths=[NAME_WIDTH, bar_width, value_width],
        repeatRows=1,
        style=TableStyle(style),
        hAlign="LEFT",
    )


def average_chart(styles: Styles, report: dict) -> list[Flowable]:
    """Average level by competence, on the framework's scale (0 to its top level)."""
    top = top_level(report)
    levels = [level / top for level in range(top + 1)]

    def axis(width: float) -> Drawing:
        return scale(styles, [(f, str(level)) for level, f in enumerate(levels)], width)

    def bar(row: dict, width: float) -> Drawing:
        drawing = Drawing(width, BAR_HEIGHT + 1)
        grid_lines(drawing, levels, width, BAR_HEIGHT + 1)
        average = cell(row, "average_level")
        if not isinstance(average, Mark):
            drawing.add(
                Rect(
                    0,
                    0.5,
                    max(width * average / top, 0.8),
                    BAR_HEIGHT,
                    fillColor=colors.HexColor(AVERAGE_COLOUR),
                    strokeColor=None,
                )
            )
        return drawing

    return [
        Paragraph(escape(_("Average level by competence")), styles.h2),
        Paragraph(
            escape(_("Scale: level 0 (none reached yet) to %(top)d.") % {"top": top}),
            styles.note,
        ),
        chart_table(
            styles,
            report["competences"],
            axis,
            _("Average level"),
            bar,
            lambda row: shown(cell(row, "average_level"), "average"),
        ),
    ]


def band_chart(styles: Styles, report: dict) -> list[Flowable]:
    """Each competence's results split over the bands, as shares of 100%."""
    keys = [b["key"] for b in report["bands"]]
    quarters = [0, 0.25, 0.5, 0.75, 1]

    def axis(width: float) -> Drawing:
        return scale(styles, [(q, f"{number(q * 100)}%") for q in quarters], width)

    any_hidden = False

    def bar(row: dict, width: float) -> Drawing:
        nonlocal any_hidden
        results = cell(row, "results")
        drawing = Drawing(width, BAR_HEIGHT + 1)
        if isinstance(results, Mark) or not results:
            return drawing
        counts = [band_cell(row, key) for key in keys]
        figures = [n if isinstance(n, int) else 0 for n in counts]
        # perturbed on their own, the bands may add up to a little more than the results
        whole = max(results, sum(figures))
        x = 0.0
        for i, n in enumerate(figures):
            if n:
                w = width * n / whole
                colour = colors.HexColor(BAND_COLOURS[i % len(BAND_COLOURS)])
                drawing.add(Rect(x, 0.5, w, BAR_HEIGHT, fillColor=colour, strokeColor=None))
                x += w
        if Mark.SUPPRESSED in counts and x < width - 0.5:
            any_hidden = True
            drawing.add(
                Rect(
                    x + 0.3,
                    0.8,
                    width - x - 0.6,
                    BAR_HEIGHT - 0.6,
                    fillColor=colors.white,
                    strokeColor=MUTED,
                    strokeWidth=0.5,
                    strokeDashArray=[1.5, 1.2],
                )
            )
        return drawing

    table = chart_table(
        styles,
        report["competences"],
        axis,
        _("Competence results"),
        bar,
        lambda row: shown(cell(row, "results")),
    )
    return [
        Paragraph(escape(_("Distribution over proficiency bands")), styles.h2),
        band_legend(styles, report, suppressed=any_hidden),
        Spacer(1, 4),
        table,
    ]


def trend_chart(styles: Styles, report: dict) -> list[Flowable]:
    """Average level (line, left scale 0 to the top level) and active students (bars,
    right scale) by month, as on the dashboard. A suppressed month shows its sign."""
    trend = report["trend"]
    if not trend:
        return []
    top = top_level(report)
    left, right, bottom, height = 26, 34, 30, 150
    plot = WIDTH - left - right
    drawing = Drawing(WIDTH, height + bottom + 16)
    actives = [t["active"] for t in trend if t["active"]]
    top_active = nice_ceiling(max([*actives, 1]))
    step = plot / len(trend)
    font, size = styles.font, 6.5
    for level in range(top + 1):  # left scale: every level (every other past 5)
        if top > 5 and level % 2:
            continue
        y = bottom + height * level / top
        drawing.add(Line(left, y, left + plot, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(
            String(left - 4, y - 2, str(level), fontName=font, fontSize=size, textAnchor="end")
        )
    for tick in count_ticks(top_active):  # right scale: active students
        y = bottom + height * tick / top_active
        drawing.add(String(left + plot + 4, y - 2, number(tick), fontName=font, fontSize=size))
    points: list[list[float]] = [[]]
    for i, t in enumerate(trend):
        x = left + step * (i + 0.5)
        drawing.add(
            String(x, bottom - 10, t["month"], fontName=font, fontSize=size, textAnchor="middle")
        )
        active, average = cell(t, "active"), cell(t, "average_level")
        h = 0 if isinstance(active, Mark) else height * active / top_active
        # no bar, or no point on the line, for privacy: the sign says so (over the bar)
        hidden = Mark.SUPPRESSED in (active, average)
        if hidden or isinstance(active, Mark):
            sign = Mark.SUPPRESSED if hidden else active
            drawing.add(
                String(
                    x,
                    bottom + h + 3,
                    mark_text(sign),
                    fontName=font,
                    fontSize=size,
                    textAnchor="middle",
                    fillColor=MUTED,
                )
            )
        if h:
            drawing.add(
                Rect(
                    x - step * 0.3,
                    bottom,
                    step * 0.6,
                    h,
                    fillColor=colors.HexColor(ACTIVE_COLOUR),
                    strokeColor=None,
                )
            )
        if isinstance(average, Mark):
            points.append([])  # the line breaks where a month has no average
        else:
            points[-1] += [x, bottom + height * average / top]
    line_colour = colors.HexColor(TREND_COLOUR)
    for segment in points:
        if len(segment) >= 4:
            drawing.add(PolyLine(segment, strokeColor=line_colour, strokeWidth=1.6))
        for j in range(0, len(segment), 2):
            drawing.add(
                Rect(
                    segment[j] - 1.8,
                    segment[j + 1] - 1.8,
                    3.6,
                    3.6,
                    fillColor=line_colour,
                    strokeColor=None,
                )
            )
    drawing.add(Line(left, bottom, left + plot, bottom, strokeColor=MUTED, strokeWidth=0.6))
    drawing.add(
        String(0, height + bottom + 9, _("Level"), fontName=font, fontSize=size, fillColor=MUTED)
    )
    drawing.add(
        String(
            WIDTH,
            height + bottom + 9,
            _("Students"),
            fontName=font,
            fontSize=size,
            textAnchor="end",
            fillColor=MUTED,
        )
    )
    key = Table(
        [
            [
                Swatch(line_colour, line=True),
                Paragraph(
                    escape(_("Average level (left scale, 0 to %(top)d)") % {"top": top}),
                    styles.cell,
                ),
                Swatch(colors.HexColor(ACTIVE_COLOUR)),
                Paragraph(escape(_("Active students (right scale)")), styles.cell),
                mark_text(Mark.SUPPRESSED),
                Paragraph(escape(_("a figure of the month suppressed")), styles.cell),
            ]
        ],
        colWidths=[18, WIDTH / 3 - 18, 12, WIDTH / 3 - 12, 18, WIDTH / 3 - 18],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 6.5),
                ("TEXTCOLOR", (4, 0), (4, 0), MUTED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
        hAlign="LEFT",
    )
    return [
        KeepTogether(
            [Paragraph(escape(_("Trend by month")), styles.h2), drawing, Spacer(1, 3), key]
        )
    ]


# ---------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------
def report_pdf(report: dict) -> bytes:
    """The report as a PDF: legend, total, charts, then every table."""
    styles = Styles()
    title = _("Digital skills report")
    subtitle = f"{report['total']['label']} · {report['period']} · {report['framework']['name']}"
    group = columns(GROUP_COLUMNS)
    story: list[Flowable] = [
        Paragraph(escape(title), styles.title),
        Paragraph(escape(subtitle), styles.subtitle),
        Paragraph(
            escape(
                _("Academic year %(year)s. Aggregates only: no student is named or counted alone.")
                % {"year": report["academic_year"]}
            ),
            styles.note,
        ),
        *legend(styles, report),
        Paragraph(escape(_("Total")), styles.h2),
        figures_table(styles, report, [report["total"]], group, total=True),
        *average_chart(styles, report),
        *band_chart(styles, report),
        *trend_chart(styles, report),
    ]
    for name, rows in report["breakdowns"].items():
        story.append(Paragraph(escape(SECTION_TITLES[name]()), styles.h2))
        if rows:
            story.append(figures_table(styles, report, rows, group))
        else:
            story.append(Paragraph(escape(_("No data for these filters.")), styles.body))
    story += [
        Paragraph(escape(_("By competence")), styles.h2),
        figures_table(
            styles,
            report,
            report["competences"],
            columns(COMPETENCE_COLUMNS),
            code=True,
            first=_("Competence"),
        ),
        Paragraph(escape(_("Trend by month")), styles.h2),
        trend_table(styles, report),
        Spacer(1, 6),
        Paragraph(
            escape(
                _("Generated %(when)s from schema %(schema)s (version %(version)s).")
                % {
                    "when": report["generated_at"],
                    "schema": report["schema"],
                    "version": report["schema_version"],
                }
            ),
            styles.note,
        ),
    ]

    def footer(canvas: Canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(styles.font, 7)
        canvas.setFillColor(MUTED)
        running = f"{title} · {report['total']['label']} · {report['period']}"
        if stringWidth(running, styles.font, 7) > WIDTH - 2 * cm:  # a long name: left out
            running = f"{title} · {report['period']}"
        canvas.drawString(MARGIN + FRAME_PADDING, MARGIN / 2, running)
        canvas.drawRightString(
            A4[0] - MARGIN - FRAME_PADDING, MARGIN / 2, _("Page %(page)d") % {"page": doc.page}
        )
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        subject=subtitle,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def trend_table(styles: Styles, report: dict) -> Table:
    """The trend's figures by month, the month as the row's name."""
    rows = [{**t, "key": t["month"], "label": t["month"]} for t in report["trend"]]
    return figures_table(
        styles, report, rows, columns(TREND_COLUMNS), first=_("Month"), bands=False
    )
