"""The sections other apps add to people's pages (see `people.sections`), in hook order:
``{% dashboard_sections "student" %}``, ``{% cohort_page_sections cohort %}``."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from .. import sections

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_sections(context, role: str) -> str:
    """The sections registered for `role`'s panel of the dashboard."""
    return _render(context, sections.dashboard_sections(context["request"], role))


@register.simple_tag(takes_context=True)
def cohort_page_sections(context, cohort) -> str:
    """The sections registered for the cohort's page."""
    return _render(context, sections.cohort_page_sections(context["request"], cohort))


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
    return format_html(
        "{}{}",
        format_html_join("", '<link rel="stylesheet" href="{}">\n', links),
        format_html_join("", "{}", ((section.html,) for section in found)),
    )
