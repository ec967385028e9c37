"""The login page's other ways in (see `people.loginalternatives`): ``{% login_alternatives %}``."""

from django import template
from django.template.loader import render_to_string

from .. import loginalternatives

register = template.Library()


@register.simple_tag(takes_context=True)
def login_alternatives(context) -> str:
    found = loginalternatives.login_alternatives(context["request"])
    if not found:
        return ""
    return render_to_string(
        "registration/login_alternatives.html", {"alternatives": found}, context["request"]
    )
