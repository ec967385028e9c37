"""Charts drawn on the server as inline SVG: no JavaScript, no library, nothing from a CDN.

Every text is escaped by format_html; the figures are ints computed here.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .selectors import SkillBar

WIDTH = 720
LABEL_WIDTH = 300
BAR_WIDTH = 300
ROW_HEIGHT = 30
TOP = 28
LABEL_CHARS = 44


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _colour(percent: int) -> str:
    if percent >= 80:
        return "#1c7c3a"
    if percent >= 50:
        return "#00599c"
    return "#a15c00"


def skill_profile_svg(bars: list[SkillBar], *, title: str | None = None) -> SafeString:
    """A horizontal bar per competence: the mean score of its evidence, and the highest
    level shown. The chart has a title and a description for screen readers."""
    title = title or _("Skill profile")
    height = TOP + ROW_HEIGHT * max(len(bars), 1) + 10
    description = "; ".join(
        _("%(code)s %(name)s: %(percent)d%%, highest level shown %(level)s")
        % {
            "code": bar.code,
            "name": bar.name,
            "percent": bar.percent,
            "level": bar.level if bar.level is not None else "-",
        }
        for bar in bars
    ) or _("No evidence yet.")
    scale = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d9dee8"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#5b6478">{}%</text>',
        (
            (
                LABEL_WIDTH + BAR_WIDTH * p // 100,
                TOP - 6,
                LABEL_WIDTH + BAR_WIDTH * p // 100,
                height - 6,
                LABEL_WIDTH + BAR_WIDTH * p // 100,
                TOP - 10,
                p,
            )
            for p in (0, 50, 100)
        ),
    )
    rows = format_html_join(
        "",
        '<g data-competence="{}" data-percent="{}">'
        "<title>{}</title>"
        '<text x="{}" y="{}" font-size="13" text-anchor="end" fill="#1d2433">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="16" rx="3" fill="#eef2f7"/>'
        '<rect class="skill-bar" x="{}" y="{}" width="{}" height="16" rx="3" fill="{}"/>'
        '<text x="{}" y="{}" font-size="12" fill="#1d2433">{}%{}</text>'
        "</g>",
        (
            (
                bar.code,
                bar.percent,
                f"{bar.framework}: {bar.code} {bar.name}",
                LABEL_WIDTH - 8,
                TOP + i * ROW_HEIGHT + 13,
                _shorten(f"{bar.code} {bar.name}"),
                LABEL_WIDTH,
                TOP + i * ROW_HEIGHT,
                BAR_WIDTH,
                LABEL_WIDTH,
                TOP + i * ROW_HEIGHT,
                BAR_WIDTH * bar.percent // 100,
                _colour(bar.percent),
                LABEL_WIDTH + BAR_WIDTH + 8,
                TOP + i * ROW_HEIGHT + 13,
                bar.percent,
                (" · " + _("level %(level)d") % {"level": bar.level}) if bar.level else "",
            )
            for i, bar in enumerate(bars)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="skill-chart" viewBox="0 0 {} {}" '
        'width="100%" role="img" aria-labelledby="skill-chart-title skill-chart-desc" '
        'data-testid="skill-chart">'
        '<title id="skill-chart-title">{}</title><desc id="skill-chart-desc">{}</desc>'
        "{}{}</svg>",
        WIDTH,
        height,
        title,
        description,
        scale,
        rows,
    )
