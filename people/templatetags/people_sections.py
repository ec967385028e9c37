"""The sections other apps add to people's pages (see `people.sections`), in hook order:
``{% dashboard_sections "student" %}``, ``{% cohort_page_sections cohort %}``, or sections
read before (a student's cached panel, `people.panels`): ``{% render_sections found %}``.
The filters ``late_timesince`` and ``late_past`` are for what a cached section shows that
depends on the clock (`people.panels`)."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .. import panels, sections

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_sections(context, role: str) -> str:
    """The sections registered for `role`'s panel of the dashboard."""
    return _render(context, sections.dashboard_sections(context["request"], role))


@register.simple_tag(takes_context=True)
def cohort_page_sections(context, cohort) -> str:
    """The sections registered for the cohort's page."""
    return _render(context, sections.cohort_page_sections(context["request"], cohort))


@register.simple_tag(takes_context=True)
def render_sections(context, found) -> str:
    """Sections read before, such as a student's cached panel's."""
    return _render(context, found)


@register.filter
def late_timesince(value):
    """`timesince`, worked out each time the page is rendered (`people.panels`)."""
    return panels.late_timesince(value)


@register.filter
def late_past(value, text: str):
    """`text` once `value` is past, worked out each time the page is rendered."""
    return panels.late_past(value, text)


def _render(context, found: list[sections.Section]) -> str:
    # A stylesheet two sections need (or the student's and the teacher's panel) is linked
    # once per page; the render context lives as long as the page's rendering.
    linked = context.render_context.setdefault("people_sections_stylesheets", set())
    links = []
    for section in found:
        for path in section.stylesheets:
            if path not in linked:
                linked.add(path)
                links.append((static(path),))
    html = format_html(
        "{}{}",
        format_html_join("", '<link rel="stylesheet" href="{}">\n', links),
        format_html_join("", "{}", ((section.html,) for section in found)),
    )
    # safe HTML whose marks (people.panels) become escaped text
    return mark_safe(panels.fill_in_time(html))  # noqa: S308
