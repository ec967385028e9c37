"""The dashboard's tables, rendered in Python.

A region's table lists every institution in it (hundreds of rows, a dozen figures each);
rendering that cell by cell in the template language took longer than building the report.
Same markup, and numbers localised as `{{ value|default_if_none:"–" }}` does.
"""

from __future__ import annotations

from html import escape

from django import template
from django.conf import settings
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SUPPRESSED = "–"


def _figure(value) -> str:
    if value is None:
        return SUPPRESSED
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return escape(str(formats.localize(value)))


@register.filter
def report_rows(rows: list[dict]) -> SafeString:
    """The <tr> of a breakdown table: name, enrolled, active, completed, average level, one
    cell per band. A row's `link` (set by the view) makes its name a drill-down link."""
    out = []
    for row in rows:
        key = escape(str(row["key"]))
        name = escape(str(row["label"]))
        if row.get("link"):
            name = f'<a href="{escape(row["link"])}" data-testid="drill-{key}">{name}</a>'
        figures = (
            row["enrolled"],
            row["active"],
            row["completed"],
            row["average_level"],
            *(band["count"] for band in row["bands"]),
        )
        cells = "".join(f'<td class="num">{_figure(value)}</td>' for value in figures)
        suppressed = ' class="suppressed"' if row["suppressed"] else ""
        out.append(f'<tr data-key="{key}"{suppressed}><td>{name}</td>{cells}</tr>')
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


@register.filter
def competence_rows(rows: list[dict]) -> SafeString:
    """The <tr> of the competence table: code and name, students assessed, average level,
    one cell per band."""
    out = []
    for row in rows:
        figures = (row["results"], row["average_level"], *(b["count"] for b in row["bands"]))
        cells = "".join(f'<td class="num">{_figure(value)}</td>' for value in figures)
        name = escape(f"{row['key']} {row['label']}")
        out.append(f"<tr><td>{name}</td>{cells}</tr>")
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped
