"""Charts of the reports dashboard, drawn on the server (no JavaScript, no library,
nothing from a CDN), and what the PDF's charts share with them: the colours, the level
scale, the font.

Inputs are the protected report dict: a suppressed figure is simply not drawn. Names and
legends are HTML text beside small SVG bars, so they wrap and are never cut, on a phone
as on a desktop; the bars' sizes are SVG attributes, never style="" (the
Content-Security-Policy allows no inline style). Every chart is scaled to the
framework's levels: 0 (no level yet) to its top level (DigComp 8, UNESCO 3).
"""

from __future__ import annotations

from pathlib import Path

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAND_COLOURS = ["#b8c2cc", "#9ecae1", "#4292c6", "#08519c", "#08306b", "#3f007d", "#54278f"]
AVERAGE_COLOUR = "#00599c"
TREND_COLOUR = "#1c7c3a"
ACTIVE_COLOUR = "#c6dbef"
GRID_COLOUR = "#d9dee8"


def band_levels(key: str) -> range:
    """The levels a band key covers: "0" -> 0, "3-4" -> 3..4."""
    first, _sep, last = key.partition("-")
    return range(int(first), int(last or first) + 1)


def top_level(report: dict) -> int:
    """The framework's highest proficiency level, from its bands (DigComp 8, UNESCO 3)."""
    return max([1, *(band_levels(b["key"])[-1] for b in report["bands"])])


def _figure(value) -> str:
    return str(formats.localize(value))


def _swatch(fill: str, *, dashed: bool = False) -> SafeString:
    """A legend's colour square."""
    if dashed:
        return SafeString(
            '<svg width="14" height="14" aria-hidden="true" focusable="false">'
            '<rect x="1" y="1" width="12" height="12" fill="#fff" stroke="#5b6478" '
            'stroke-dasharray="2 2"></rect></svg>'
        )
    return format_html(
        '<svg width="14" height="14" aria-hidden="true" focusable="false">'
        '<rect x="1" y="1" width="12" height="12" fill="{}"></rect></svg>',
        fill,
    )


def _legend(items) -> SafeString:
    """A wrapping list of (swatch, text): the whole text of each, on any screen."""
    return format_html(
        '<ul class="chart-legend" data-testid="chart-legend">{}</ul>',
        format_html_join("", "<li>{}<span>{}</span></li>", items),
    )


def _axis(ticks) -> SafeString:
    """The row above a chart's bars: tick labels spread over the bar column."""
    return format_html(
        '<div class="chart-row chart-axis" aria-hidden="true"><span></span>'
        '<span class="chart-ticks">{}</span><span></span></div>',
        format_html_join("", "<span>{}</span>", ((t,) for t in ticks)),
    )


def _row(row: dict, bar: SafeString, value: str) -> SafeString:
    return format_html(
        '<li class="chart-row" data-key="{}"><span class="chart-label"><b>{}</b> {}</span>'
        '{}<span class="chart-value">{}</span></li>',
        row["key"],
        row["key"],
        row["label"],
        bar,
        value,
    )


def competence_bars(report: dict) -> SafeString:
    """Bars: the average level reached per competence, on the framework's scale."""
    rows = report["competences"]
    if not any(r["average_level"] is not None for r in rows):
        return SafeString("")
    top = top_level(report)
    grid = format_html_join(
        "",
        '<line x1="{}" y1="0" x2="{}" y2="1" stroke="{}" vector-effect="non-scaling-stroke">'
        "</line>",
        ((level, level, GRID_COLOUR) for level in range(top + 1)),
    )
    parts = []
    for row in rows:
        value = row["average_level"]
        if value is None:
            bar = format_html(
                '<svg class="chart-bar" viewBox="0 0 {} 1" preserveAspectRatio="none" '
                'aria-hidden="true" focusable="false">{}</svg>',
                top,
                grid,
            )
            text = _("no results") if row["results"] == 0 else _("suppressed")
        else:
            bar = format_html(
                '<svg class="chart-bar" viewBox="0 0 {} 1" preserveAspectRatio="none" '
                'aria-hidden="true" focusable="false">{}'
                '<rect x="0" y="0.15" width="{}" height="0.7" fill="{}"></rect></svg>',
                top,
                grid,
                max(value, top / 200),
                AVERAGE_COLOUR,
            )
            text = _figure(value)
        parts.append(_row(row, bar, text))
    return format_html(
        '<figure class="report-chart" data-testid="chart-competences">'
        '<figcaption class="muted">{}</figcaption>{}<ul class="chart-rows">{}</ul></figure>',
        _("Scale: level 0 (none reached yet) to %(top)d.") % {"top": top},
        _axis(range(top + 1)),
        mark_safe("".join(parts)),  # noqa: S308 - every part built with format_html
    )


def band_distribution(report: dict) -> SafeString:
    """One stacked bar per competence: the share of its results in each proficiency band."""
    rows = [r for r in report["competences"] if r["results"]]
    if not rows:
        return SafeString("")
    keys = [b["key"] for b in report["bands"]]
    parts, hidden = [], False
    for row in rows:
        counts = {b["key"]: b["count"] for b in row["bands"]}
        # perturbed on their own, the bands may add up to a little more than the results
        whole = max(row["results"], sum(n for n in counts.values() if n))
        x, rects = 0.0, []
        for j, key in enumerate(keys):
            n = counts.get(key)
            if not n:
                continue
            width = 100 * n / whole
            rects.append(
                format_html(
                    '<rect x="{}" y="0" width="{}" height="1" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    f"{x:.2f}",
                    f"{width:.2f}",
                    BAND_COLOURS[j % len(BAND_COLOURS)],
                    key,
                    n,
                )
            )
            x += width
        if None in counts.values() and x < 99.9:  # suppressed bands: a dashed remainder
            hidden = True
            rects.append(
                format_html(
                    '<rect x="{}" y="0.08" width="{}" height="0.84" fill="#fff" stroke="#5b6478" '
                    'stroke-dasharray="2 2" vector-effect="non-scaling-stroke">'
                    "<title>{}</title></rect>",
                    f"{x:.2f}",
                    f"{100 - x:.2f}",
                    _("suppressed"),
                )
            )
        bar = format_html(
            '<svg class="chart-bar" viewBox="0 0 100 1" preserveAspectRatio="none" '
            'aria-hidden="true" focusable="false">{}</svg>',
            mark_safe("".join(rects)),  # noqa: S308 - every part built with format_html
        )
        parts.append(_row(row, bar, _figure(row["results"])))
    items = [
        (_swatch(BAND_COLOURS[j % len(BAND_COLOURS)]), f"{b['key']}: {b['label']}")
        for j, b in enumerate(report["bands"])
    ]
    if hidden:
        items.append((_swatch("", dashed=True), _("suppressed bands (too few students)")))
    return format_html(
        '<figure class="report-chart" data-testid="chart-bands">'
        '<figcaption class="muted">{}</figcaption>{}{}<ul class="chart-rows">{}</ul></figure>',
        _("Share of each competence's results in each band; the figure is the results counted."),
        _legend(items),
        _axis(["0%", "25%", "50%", "75%", "100%"]),
        mark_safe("".join(parts)),  # noqa: S308
    )


def nice_ceiling(value: float) -> int:
    """The top of a count's scale: the smallest of 1, 2, 4, 5 times a power of ten that is
    at least `value` (its half a whole number too, but for 1)."""
    power = 1
    while power * 10 < value:
        power *= 10
    return next(step * power for step in (1, 2, 4, 5, 10) if step * power >= value)


def count_ticks(top: int) -> list[int]:
    """The labels of a count's scale: 0, the half (when whole) and the top."""
    return [0, top // 2, top] if top % 2 == 0 else [0, top]


def trend_lines(report: dict) -> SafeString:
    """Average level (line, left scale: the framework's levels) and active students (bars,
    right scale) by month."""
    trend = report["trend"]
    if not trend:
        return SafeString("")
    top = top_level(report)
    actives = [t["active"] for t in trend if t["active"]]
    top_active = nice_ceiling(max([*actives, 1]))
    # room on the right for the largest count, at the phone's larger font (reports.css)
    right = 12 + 11 * len(_figure(top_active))
    left, plot_w, plot_h, top_pad, bottom = 30, 450, 160, 16, 26
    step = plot_w / len(trend)
    base = top_pad + plot_h
    parts = []
    for level in range(top + 1):
        if top > 5 and level % 2:
            continue
        y = base - plot_h * level / top
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"></line>'
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                round(y),
                left + plot_w,
                round(y),
                GRID_COLOUR,
                left - 6,
                round(y + 4),
                level,
            )
        )
    for tick in count_ticks(top_active):
        parts.append(
            format_html(
                '<text x="{}" y="{}">{}</text>',
                left + plot_w + 6,
                round(base - plot_h * tick / top_active + 4),
                _figure(tick),
            )
        )
    points = []
    for i, t in enumerate(trend):
        x = left + step * (i + 0.5)
        parts.append(
            format_html(
                '<text class="{}" x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>',
                "chart-month" if i % 2 == 0 else "chart-month chart-month-odd",
                round(x),
                base + 16,
                t["month"][2:],
            )
        )
        if t["active"]:
            h = plot_h * t["active"] / top_active
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    round(x - step * 0.3),
                    round(base - h),
                    round(step * 0.6),
                    round(h),
                    ACTIVE_COLOUR,
                    _("Active students"),
                    t["active"],
                )
            )
        if t["average_level"] is not None:
            y = base - plot_h * t["average_level"] / top
            points.append(f"{x:.0f},{y:.0f}")
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}: {}</title></circle>',
                    round(x),
                    round(y),
                    TREND_COLOUR,
                    t["month"],
                    t["average_level"],
                )
            )
    line = (
        format_html(
            '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"></polyline>',
            TREND_COLOUR,
            " ".join(points),
        )
        if len(points) > 1
        else ""
    )
    legend = _legend(
        [
            (
                format_html(
                    '<svg width="22" height="14" aria-hidden="true" focusable="false">'
                    '<line x1="1" y1="7" x2="21" y2="7" stroke="{}" stroke-width="2"></line>'
                    '<circle cx="11" cy="7" r="3" fill="{}"></circle></svg>',
                    TREND_COLOUR,
                    TREND_COLOUR,
                ),
                _("Average level (left scale, 0 to %(top)d)") % {"top": top},
            ),
            (_swatch(ACTIVE_COLOUR), _("Active students (right scale)")),
        ]
    )
    return format_html(
        '<figure class="report-chart" data-testid="chart-trend">{}'
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'font-family="system-ui, sans-serif" font-size="12">{}{}'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#5b6478"></line></svg></figure>',
        legend,
        _("Average level and active students by month"),
        left + plot_w + right,
        base + bottom,
        mark_safe("".join(parts)),  # noqa: S308 - every part built with format_html
        line,
        left,
        base,
        left + plot_w,
        base,
    )


_FONT_CANDIDATES = [
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
]


def pdf_font() -> tuple[str, str]:
    """A font with Azerbaijani and Cyrillic letters (DejaVu, from Debian's fonts-dejavu),
    else reportlab's own Vera (Latin only)."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "Report" in pdfmetrics.getRegisteredFontNames():
        return "Report", "Report-Bold"
    for regular, bold in _FONT_CANDIDATES:
        if Path(regular).exists() and Path(bold).exists():
            break
    else:
        base = Path(rl_config.__file__).parent / "fonts"
        regular, bold = str(base / "Vera.ttf"), str(base / "VeraBd.ttf")
    pdfmetrics.registerFont(TTFont("Report", regular))
    pdfmetrics.registerFont(TTFont("Report-Bold", bold))
    return "Report", "Report-Bold"
