"""Charts of the reports dashboard, drawn on the server as inline SVG (no JavaScript, no
library, nothing from a CDN), and the font the PDF charts use.

Inputs are the protected report dict: a suppressed figure is simply not drawn. Fonts are
SVG presentation attributes, never style="": the Content-Security-Policy allows no inline
style.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAND_COLOURS = ["#b8c2cc", "#9ecae1", "#4292c6", "#08519c", "#08306b", "#3f007d", "#54278f"]


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def competence_bars(report: dict) -> SafeString:
    """Horizontal bars: average level reached per competence."""
    rows = report["competences"]
    if not any(r["average_level"] is not None for r in rows):
        return SafeString("")
    top = max(8, max(int(b["key"].split("-")[-1]) for b in report["bands"]))
    label_w, bar_w, row_h = 280, 360, 22
    height = 30 + row_h * len(rows)
    bars = []
    for i, row in enumerate(rows):
        y = 20 + i * row_h
        value = row["average_level"]
        label = f"{row['key']} {row['label']}"
        if value is None and not row["results"]:
            bars.append(
                format_html(
                    '<text x="{}" y="{}" fill="#6b7280">{}</text>',
                    label_w + 4,
                    y + 14,
                    _("no results"),
                )
            )
        elif value is None:
            bars.append(
                format_html(
                    '<text x="{}" y="{}" fill="#6b7280">{}</text>',
                    label_w + 4,
                    y + 14,
                    _("suppressed"),
                )
            )
        else:
            width = int(bar_w * value / top)
            bars.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#00599c">'
                    '<title>{}: {}</title></rect><text x="{}" y="{}">{}</text>',
                    label_w,
                    y + 3,
                    max(width, 1),
                    row_h - 6,
                    label,
                    value,
                    label_w + width + 4,
                    y + 14,
                    value,
                )
            )
        bars.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                label_w - 6,
                y + 14,
                _short(label),
            )
        )
    return format_html(
        '<svg class="chart" data-testid="chart-competences" role="img" aria-label="{}" '
        'viewBox="0 0 {} {}" width="100%" '
        'font-family="system-ui, sans-serif" font-size="12">{}</svg>',
        _("Average level by competence"),
        label_w + bar_w + 60,
        height,
        mark_safe("".join(bars)),  # noqa: S308 - every part built with format_html
    )


def band_distribution(report: dict) -> SafeString:
    """One stacked bar per competence: the share of students in each proficiency band."""
    rows = [r for r in report["competences"] if r["results"]]
    if not rows:
        return SafeString("")
    keys = [b["key"] for b in report["bands"]]
    label_w, bar_w, row_h = 120, 520, 20
    height = 50 + row_h * len(rows)
    parts = []
    for i, row in enumerate(rows):
        y = 36 + i * row_h
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>', label_w - 6, y + 13, row["key"]
            )
        )
        x = label_w
        counts = {b["key"]: b["count"] for b in row["bands"]}
        # perturbed on their own, the bands may add up to a little more than the results
        whole = max(row["results"], sum(n for n in counts.values() if n))
        for j, key in enumerate(keys):
            n = counts.get(key)
            if not n:
                continue
            width = bar_w * n / whole
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    f"{x:.1f}",
                    y + 2,
                    f"{width:.1f}",
                    row_h - 4,
                    BAND_COLOURS[j % len(BAND_COLOURS)],
                    key,
                    n,
                )
            )
            x += width
        if x < label_w + bar_w:  # suppressed cells: a hatched remainder
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#eee">'
                    "<title>{}</title></rect>",
                    f"{x:.1f}",
                    y + 2,
                    f"{label_w + bar_w - x:.1f}",
                    row_h - 4,
                    _("suppressed"),
                )
            )
    legend = format_html_join(
        "",
        '<rect x="{}" y="6" width="12" height="12" fill="{}"></rect><text x="{}" y="16">{}</text>',
        (
            (
                label_w + j * 104,
                BAND_COLOURS[j % len(BAND_COLOURS)],
                label_w + j * 104 + 16,
                _short(f"{b['key']} {b['label']}", 14),
            )
            for j, b in enumerate(report["bands"])
        ),
    )
    return format_html(
        '<svg class="chart" data-testid="chart-bands" role="img" aria-label="{}" '
        'viewBox="0 0 {} {}" width="100%" '
        'font-family="system-ui, sans-serif" font-size="12">{}{}</svg>',
        _("Distribution over proficiency bands"),
        label_w + bar_w + 20,
        height,
        legend,
        mark_safe("".join(parts)),  # noqa: S308
    )


def trend_lines(report: dict) -> SafeString:
    """Average level (line) and active students (bars) by month."""
    trend = report["trend"]
    left, width, height, bottom = 50, 640, 180, 30
    step = width / max(len(trend) - 1, 1)
    levels = [t["average_level"] for t in trend if t["average_level"] is not None]
    actives = [t["active"] for t in trend if t["active"]]
    top_level = max([*levels, 1])
    top_active = max([*actives, 1])
    parts = []
    points = []
    for i, t in enumerate(trend):
        x = left + i * step
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>',
                f"{x:.0f}",
                height + bottom - 8,
                t["month"][2:],
            )
        )
        if t["active"]:
            h = (height - 20) * t["active"] / top_active
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#dbe7f3">'
                    "<title>{}: {}</title></rect>",
                    f"{x - 8:.0f}",
                    f"{height - h:.0f}",
                    16,
                    f"{h:.0f}",
                    _("Active students"),
                    t["active"],
                )
            )
        if t["average_level"] is not None:
            y = height - (height - 20) * t["average_level"] / top_level
            points.append(f"{x:.0f},{y:.0f}")
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="#1c7c3a"><title>{}: {}</title></circle>',
                    f"{x:.0f}",
                    f"{y:.0f}",
                    t["month"],
                    t["average_level"],
                )
            )
    line = (
        format_html(
            '<polyline fill="none" stroke="#1c7c3a" stroke-width="2" points="{}"/>',
            " ".join(points),
        )
        if len(points) > 1
        else ""
    )
    return format_html(
        '<svg class="chart" data-testid="chart-trend" role="img" aria-label="{}" '
        'viewBox="0 0 {} {}" width="100%" '
        'font-family="system-ui, sans-serif" font-size="12">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>{}{}</svg>',
        _("Average level and active students by month"),
        left + width + 30,
        height + bottom,
        left - 10,
        height,
        left + width + 10,
        height,
        mark_safe("".join(parts)),  # noqa: S308 - every part built with format_html
        line,
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
