"""Reading a lesson: only enrolled students (and teachers, authors) read it, and a
student's visit is recorded. Others learn why, and how to get in; institution admins,
who have nothing to enrol in, see the course's outline.

A hook rather than `LessonPage.serve`, so the page class needs neither the access rules
nor the services. `on_serve_page` wraps Wagtail's serving chain; with a high order this
gate runs inside Wagtail's own view-restriction check, as `serve` did. Previews are not
served through the chain: nobody's visit is recorded and no gate applies.

Courses' sections of people's dashboard and cohort page are registered here too (they
live in sections.py).
"""

from django.contrib.auth.views import redirect_to_login
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem

from cms.sections import HOME_PAGE_SECTIONS
from cms.translation import canonical_page, url_in_language
from people.panels import STUDENT_PANEL_VERSIONS
from people.sections import COHORT_PAGE_SECTIONS, DASHBOARD_SECTIONS

from . import access, catalogue, page_selectors, question_import_views, sections, services
from .models import LessonPage


@hooks.register("on_serve_page", order=100)
def lesson_reading_gate(next_serve):
    def serve(page, request, args, kwargs):
        if not isinstance(page, LessonPage):
            return next_serve(page, request, args, kwargs)
        refs = page_selectors.lesson_refs(page)
        work = page_selectors.reader_work(
            user=request.user, lesson_id=refs.lesson.pk, course_id=refs.course.pk
        )
        decision = access.lesson_access(
            request.user, page, course_id=refs.course.pk, enrolled=work.enrolled
        )
        if not decision.allowed and decision.reason == "login":
            return redirect_to_login(request.get_full_path())
        if not decision.allowed and decision.reason == "outline":
            # an institution admin following a course of their cohorts: what it teaches
            course = canonical_page(page.get_parent().specific)
            context = page_selectors.course_page(user=request.user, course=course)
            context.update({"page": page, "course": course, "course_url": url_in_language(course)})
            return TemplateResponse(request, "courses/lesson_outline.html", context)
        if not decision.allowed:
            course = canonical_page(page.get_parent().specific)
            return TemplateResponse(
                request,
                "courses/lesson_locked.html",
                {
                    "page": page,
                    "course": course,
                    "course_url": url_in_language(course),
                    "may_self_enrol": access.may_self_enrol(request.user, course),
                },
                status=403,
            )
        # read by LessonPage.get_context
        request.lesson_enrolled = decision.enrolled
        request.lesson_reader_work = work
        if decision.enrolled:
            services.lesson_visit_soon(student=request.user, lesson=page, refs=refs)
        return next_serve(page, request, args, kwargs)

    return serve


# The student's panel: my courses and the next step first, the skill profile last; other
# apps' sections (ordered 101 to 299) come between.
hooks.register(DASHBOARD_SECTIONS, sections.student_courses, order=100)
hooks.register(DASHBOARD_SECTIONS, sections.skill_profile, order=300)
hooks.register(STUDENT_PANEL_VERSIONS, sections.shown_pages)  # the panel is cached
hooks.register(DASHBOARD_SECTIONS, sections.teacher_courses, order=100)
hooks.register(COHORT_PAGE_SECTIONS, sections.cohort_courses, order=100)
# The home page's catalogue: the courses by track, with the search box.
hooks.register(HOME_PAGE_SECTIONS, catalogue.home_catalogue, order=100)


# ---------------------------------------------------------------------------------------
# Importing a question bank into a lesson (question_import_views.py)
# ---------------------------------------------------------------------------------------
@hooks.register("register_admin_urls")
def question_import_urls():
    return [
        path(
            "lessons/<int:page_id>/import-questions/",
            question_import_views.question_import,
            name="courses_question_import",
        )
    ]


class QuestionImportMenuItem(PageMenuItem):
    label = _("Import questions")
    icon_name = "help"
    url_name = "courses_question_import"

    def is_shown(self, user):
        return isinstance(self.page.specific_deferred, LessonPage) and (
            self.page.permissions_for_user(user).can_edit()
        )


@hooks.register("register_page_header_buttons")
def question_import_header_button(page, user, view_name, next_url=None):
    yield QuestionImportMenuItem(page=page, priority=40)


@hooks.register("register_page_listing_more_buttons")
def question_import_listing_button(page, user, next_url=None):
    yield QuestionImportMenuItem(page=page, priority=35)
