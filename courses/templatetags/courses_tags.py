"""Parts of other apps' pages that show courses: the student's and the teacher's
dashboard sections, the cohort page's courses. Each calls one selector."""

from django import template

from .. import access, selectors
from ..charts import skill_profile_svg

register = template.Library()


@register.inclusion_tag("courses/_student_learning.html", takes_context=True)
def student_learning(context):
    """The student's part of the dashboard: courses, next step, results, skill profile."""
    user = context["request"].user
    dashboard = selectors.student_dashboard(user=user)
    return {
        "learning": dashboard,
        "skill_chart": skill_profile_svg(dashboard.skills) if dashboard.skills else "",
        "request": context["request"],
    }


@register.inclusion_tag("courses/_teacher_courses.html", takes_context=True)
def teacher_courses(context):
    """The teacher's cohorts with their courses, and links to progress."""
    user = context["request"].user
    return {"cohorts": selectors.taught_cohort_courses(user=user), "request": context["request"]}


@register.inclusion_tag("courses/_cohort_courses.html", takes_context=True)
def cohort_courses(context, cohort):
    """The courses of a cohort, on the cohort page; assigning is for its teachers."""
    user = context["request"].user
    follows = access.can_follow_cohort(user, cohort)
    return {
        "cohort": cohort,
        "assignments": selectors.cohort_assignments(cohort=cohort),
        "can_assign": follows,
        "can_follow": follows,
        "request": context["request"],
    }
