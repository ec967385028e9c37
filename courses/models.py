"""Course and lesson pages, and the checks their editor runs before publishing.

Page tree: CurriculumPage (curricula app) -> CoursePage -> LessonPage. What students do
in them (assignments, enrolments, quiz attempts, progress) is transactional data in
records.py, re-exported here so that `courses.models` names every model of the app.
Competence evidence is the evidence app's.

Translations: a course or lesson copied into another locale (Wagtail's copy for
translation) is the same course for progress: the records point at the *original* page
of a translation group (`cms.translation.canonical_page`). Reading a lesson is gated, and
a student's visit recorded, by a Wagtail hook (wagtail_hooks.py), not by `serve`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.pagecache import ViewRestrictionsMixin
from cms.translation import TranslationFallbackMixin
from curricula.models import Competence

from .blocks import LessonBodyBlock
from .choices import CompletionRule, CourseLevel
from .page_selectors import course_page, lesson_page
from .records import (
    CourseAssignment,
    CourseProgress,
    Enrolment,
    ExerciseOutcome,
    LessonProgress,
    QuizAttempt,
)
from .validation import course_problems, lesson_problems

__all__ = [
    "CompletionRule",
    "CourseAssignment",
    "CourseLevel",
    "CoursePage",
    "CourseProgress",
    "Enrolment",
    "ExerciseOutcome",
    "LessonPage",
    "LessonProgress",
    "QuizAttempt",
]


class PublishCheckedPageForm(WagtailAdminPageForm):
    """Refuses to publish, submit for moderation or approve a page whose content is not
    ready, and says why in the editor. Saving a draft is always possible."""

    def is_publishing(self) -> bool:
        data = self.data
        if data.get("action-publish") or data.get("action-submit"):
            return True
        # approving in the editor (Wagtail's moderation) publishes at the last step
        return bool(data.get("action-workflow-action")) and (
            data.get("workflow-action-name") == "approve"
        )

    def publish_problems(self, cleaned_data: dict) -> list[str]:
        return []

    def clean(self):
        cleaned_data = super().clean()
        if self.is_publishing() and not self.errors:
            for problem in self.publish_problems(cleaned_data):
                self.add_error(None, problem)
        return cleaned_data


class CoursePageForm(PublishCheckedPageForm):
    """Offers every other course as a prerequisite, never the course itself; publishes
    only a course whose lessons are ready."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "prerequisites" in self.fields:
            others = CoursePage.objects.order_by("title")
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            self.fields["prerequisites"].queryset = others

    def publish_problems(self, cleaned_data: dict) -> list[str]:
        return course_problems(self.instance)


class LessonPageForm(PublishCheckedPageForm):
    def publish_problems(self, cleaned_data: dict) -> list[str]:
        body = cleaned_data.get("body")
        raw = body.get_prep_value() if body is not None else []
        return lesson_problems(rule=cleaned_data.get("completion_rule", ""), body=raw)


class CoursePage(ViewRestrictionsMixin, TranslationFallbackMixin, Page):
    """A course: what it teaches, to which level, in which language, and what it needs first."""

    summary = models.TextField(_("summary"), help_text=_("Two or three sentences for listings."))
    description = RichTextField(_("description"), blank=True)
    level = models.CharField(
        _("level"), max_length=12, choices=CourseLevel.choices, default=CourseLevel.FOUNDATION
    )
    estimated_hours = models.PositiveSmallIntegerField(
        _("estimated hours"), default=1, help_text=_("Hours a typical student needs.")
    )
    language = models.CharField(
        _("language of instruction"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="az",
    )
    competences = ParentalManyToManyField(
        Competence,
        verbose_name=_("competences"),
        blank=True,
        related_name="courses",
        help_text=_("The competences this course develops."),
    )
    prerequisites = ParentalManyToManyField(
        "self",
        verbose_name=_("prerequisites"),
        symmetrical=False,
        blank=True,
        related_name="required_by",
        help_text=_("Courses a student should finish first."),
    )
    is_open = models.BooleanField(
        _("open for self-enrolment"),
        default=False,
        help_text=_("Students may enrol themselves; otherwise a teacher assigns the course."),
    )

    base_form_class = CoursePageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldPanel("level"),
                FieldPanel("estimated_hours"),
                FieldPanel("language"),
                FieldPanel("is_open"),
            ],
            heading=_("About the course"),
        ),
        FieldPanel("competences"),
        FieldPanel("prerequisites"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("level"),
        index.FilterField("language"),
        index.FilterField("is_open"),
    ]
    parent_page_types = ["curricula.CurriculumPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_hours__gte=1), name="coursepage_estimated_hours_gte_1"
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.pk and any(p.pk == self.pk for p in self.prerequisites.all()):
            raise ValidationError({"prerequisites": _("A course cannot be its own prerequisite.")})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(course_page(user=request.user, course=self))
        return context


class LessonPage(ViewRestrictionsMixin, Page):
    """A lesson of a course: text, code samples, formulas, callouts, quizzes, exercises."""

    introduction = models.TextField(_("introduction"), blank=True)
    body = StreamField(LessonBodyBlock(), verbose_name=_("body"), blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"), null=True, blank=True
    )
    completion_rule = models.CharField(
        _("completed when"),
        max_length=10,
        choices=CompletionRule.choices,
        default=CompletionRule.READ,
        help_text=_("What a student must do for this lesson to count as completed."),
    )

    base_form_class = LessonPageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        MultiFieldPanel(
            [FieldPanel("estimated_minutes"), FieldPanel("completion_rule")],
            heading=_("Time and completion"),
        ),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # set by the reading gate (wagtail_hooks.py); a preview is read by no student
        enrolled = getattr(request, "lesson_enrolled", False)
        context.update(lesson_page(request=request, lesson=self, enrolled=enrolled))
        return context
