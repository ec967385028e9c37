"""People's pages are composed by registration: the apps above people add sections to the
dashboard and the cohort page through hooks (`people.sections`), rendered in hook order,
each stylesheet linked once; people's templates do not know those apps."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from wagtail import hooks

from courses import services
from people.sections import COHORT_PAGE_SECTIONS, DASHBOARD_SECTIONS, Section
from tests.courses.pages import course, lesson
from tests.factories import CohortFactory, MembershipFactory, student_in, teacher_of

pytestmark = pytest.mark.django_db

# a role no app has sections for, so only the sections registered here render
ROLE = "tester"


def render(source: str, **context) -> str:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return Template("{% load people_sections %}" + source).render(
        Context({"request": request, **context})
    )


def section(text: str, *stylesheets: str):
    def fn(request, role):
        return Section(text, stylesheets=stylesheets) if role == ROLE else None

    return fn


def test_sections_render_in_hook_order_and_each_stylesheet_once():
    late = section("<p>late</p>", "a.css", "b.css")
    early = section("<p>early</p>", "a.css")
    with (
        hooks.register_temporarily(DASHBOARD_SECTIONS, late, order=900),
        hooks.register_temporarily(DASHBOARD_SECTIONS, early, order=-900),
    ):
        html = render(f'{{% dashboard_sections "{ROLE}" %}}{{% dashboard_sections "{ROLE}" %}}')

    assert html.count('<link rel="stylesheet" href="/static/a.css">') == 1
    assert html.count('<link rel="stylesheet" href="/static/b.css">') == 1
    assert html.index("early") < html.index("late")
    assert "&lt;p&gt;" in html  # a plain str is text; a section renders its HTML safe


def test_a_function_with_nothing_to_show_adds_nothing():
    with hooks.register_temporarily(DASHBOARD_SECTIONS, section("shown"), order=900):
        assert render('{% dashboard_sections "student-of-nothing" %}').strip() == ""


def test_cohort_page_sections_get_the_cohort():
    def name_of(request, cohort):
        return Section(f"cohort {cohort.name}")

    with hooks.register_temporarily(COHORT_PAGE_SECTIONS, name_of, order=900):
        assert "cohort 9-Q" in render(
            "{% cohort_page_sections cohort %}", cohort=CohortFactory(name="9-Q")
        )


def test_the_student_panel_shows_courses_next_step_results_and_skills_in_order(client):
    cohort = CohortFactory()
    teacher = teacher_of(cohort)
    a_course = course(title="Python basics")
    lesson(a_course, title="Reading", completion_rule="read")
    services.course_assign(
        course=a_course,
        cohort=cohort,
        assigned_by=teacher,
        due_at=timezone.now() + timedelta(days=7),
    )
    client.force_login(student_in(cohort))

    html = client.get("/en/dashboard/").content.decode()

    order = ["my-courses", "next-step", "recent-results", "skill-profile"]
    positions = [html.index(f'data-testid="{testid}"') for testid in order]
    assert positions == sorted(positions)


def test_a_stylesheet_several_sections_need_is_linked_once(client):
    cohort = CohortFactory()
    user = teacher_of(cohort)
    MembershipFactory(user=user, role="student")  # and studies elsewhere: both panels
    client.force_login(user)

    html = client.get("/en/dashboard/").content.decode()

    assert 'data-testid="student-home"' in html and 'data-testid="teacher-home"' in html
    assert html.count('href="/static/courses/css/courses.css"') == 1
