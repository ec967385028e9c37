from django import template
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext as _

from grading import access, completion
from grading.notebook import i18n
from grading.views import exercise_panel_context

register = template.Library()


@register.filter
def score(value) -> str:
    """A score as people write it: 3, 5.5, 0.33 (in the reader's number format); — if none."""
    if value is None or value == "":
        return "—"
    number = round(float(value), 2)
    return formats.number_format(int(number) if number.is_integer() else number)


@register.filter
def plural_count(points) -> int:
    """The count that picks the plural form for a number of points, whole or not
    (`{% blocktranslate count n=points|plural_count %}`; grading.notebook.i18n)."""
    return i18n.plural_count(float(points or 0))


@register.filter
def auto_outcome(submission):
    """How a graded attempt stands by the passing rule (grading.completion); None if not
    graded."""
    return completion.submission_outcome(submission) if submission else None


@register.simple_tag(takes_context=True)
def exercise_panel(context, exercise):
    """The exercise's panel for the current user, or a sentence saying why not."""
    request = context.get("request")
    if exercise is None:
        return _("This exercise is no longer available.")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return render_to_string(
            "grading/_exercise_login.html", {"exercise": exercise}, request=request
        )
    if not (access.may_submit(user, exercise) or access.may_manage(user, exercise)):
        return render_to_string(
            "grading/_exercise_locked.html", {"exercise": exercise}, request=request
        )
    panel = exercise_panel_context(request, exercise)
    panel["show_title"] = True  # in a lesson; the exercise page has its own heading
    return render_to_string("grading/_exercise_panel.html", panel, request=request)
