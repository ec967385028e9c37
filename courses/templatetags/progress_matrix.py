"""The rows of the cohort progress matrix (courses/cohort_progress.html), written in
Python: a template loop over 30 students x 10 lessons, with a tag or a filter in every
cell, cost more than all the rest of the page. The HTML is the one the template wrote."""

import functools
from datetime import datetime

from django import template
from django.core.cache import cache
from django.template.defaultfilters import date as date_filter
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name, template_localtime
from django.utils.translation import get_language, gettext

register = template.Library()

_words: dict[str | None, dict[str, str]] = {}  # per language: the fixed pieces, translated


def _pieces() -> dict[str, str]:
    language = get_language()
    pieces = _words.get(language)
    if pieces is None:
        pieces = _words[language] = {
            "completed": f'<span title="{escape(gettext("completed"))}">✓</span>',
            "visited": f'<span title="{escape(gettext("visited"))}">·</span>',
            "not_started": f'<span class="muted" title="{escape(gettext("not started"))}">–</span>',
            "behind": f' <span class="badge warn">{escape(gettext("behind"))}</span>',
            "never": f'<span class="muted">{escape(gettext("never"))}</span>',
        }
    return pieces


@functools.lru_cache(maxsize=4096)
def _when(language: str | None, zone: str, at: datetime) -> str:
    """`{{ at|date:"SHORT_DATETIME_FORMAT" }}`, escaped; remembered, as formatting a date
    costs more than the rest of a row and a teacher reloads a page of the same dates."""
    return escape(date_filter(template_localtime(at), "SHORT_DATETIME_FORMAT"))


@register.simple_tag
def progress_rows(table) -> SafeString:
    """A `<tr>` for each row of a `selectors.CohortProgress`: the student, their percent,
    each lesson's status and quiz score, their last activity. Kept in the cache with the
    rows (`table.key`), per language and time zone."""
    if not table.key:
        return _rows(table)
    key = f"{table.key}:rows:{get_language()}:{get_current_timezone_name()}"
    html = cache.get(key)
    if html is None:
        html = _rows(table)
        cache.set(key, str(html), 3600)
    return mark_safe(html)  # noqa: S308 - written by _rows, every value escaped


def _rows(table) -> SafeString:
    pieces = _pieces()
    cells: dict[tuple[str, int | None], str] = {}  # few distinct cells: each written once
    out = []
    for row in table.rows:
        student = row.student
        username = escape(student.username)
        tds = []
        for cell in row.cells:
            key = (cell.status, cell.quiz_percent)
            html = cells.get(key)
            if html is None:
                quiz = cell.quiz_percent
                html = cells[key] = (
                    f'<td class="cell {cell.status}">{pieces[cell.status]}'
                    + (f' <span class="quiz">{quiz}%</span>' if quiz is not None else "")
                    + "</td>"
                )
            tds.append(html)
        if row.last_activity_at:
            activity = _when(get_language(), get_current_timezone_name(), row.last_activity_at)
        else:
            activity = pieces["never"]
        behind = ("behind", ' data-behind="true"', pieces["behind"]) if row.behind else ("", "", "")
        out.append(
            f'\n    <tr class="{behind[0]}" data-testid="progress-row"'
            f' data-student="{username}"{behind[1]}>'
            f'\n      <th scope="row">{escape(student.last_name)} {escape(student.first_name)}'
            f' <span class="muted">{username}</span>{behind[2]}</th>'
            f'\n      <td class="num">{row.percent}%</td>'
            f"\n      {''.join(tds)}"
            f"\n      <td>{activity}</td>"
            "\n    </tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above
