"""Course and lesson pages.

Page tree: CurriculumPage (curricula app) -> CoursePage -> LessonPage. Course assignments
to cohorts, enrolments and progress will be plain models here as well.
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

from curricula.models import Competence

from .blocks import LessonBodyBlock


class CourseLevel(models.TextChoices):
    """How much a course expects of its students (DigComp's bands, without the top one)."""

    FOUNDATION = "foundation", _("Foundation")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class CoursePageForm(WagtailAdminPageForm):
    """Offers every other course as a prerequisite, never the course itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "prerequisites" in self.fields:
            others = CoursePage.objects.order_by("title")
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            self.fields["prerequisites"].queryset = others


class CoursePage(Page):
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
        context["lessons"] = LessonPage.objects.child_of(self).live().public()
        context["competences"] = self.competences.all()
        context["prerequisites"] = self.prerequisites.live().public()
        return context


class LessonPage(Page):
    """A lesson of a course: text, code samples, formulas, callouts."""

    introduction = models.TextField(_("introduction"), blank=True)
    body = StreamField(LessonBodyBlock(), verbose_name=_("body"), blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"), null=True, blank=True
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("estimated_minutes"),
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
        course = self.get_parent().specific
        siblings = list(LessonPage.objects.sibling_of(self).live().public())
        here = next((i for i, lesson in enumerate(siblings) if lesson.pk == self.pk), None)
        context["course"] = course
        if here is not None:  # a draft being previewed has no place among live lessons yet
            context["previous_lesson"] = siblings[here - 1] if here > 0 else None
            context["next_lesson"] = siblings[here + 1] if here + 1 < len(siblings) else None
        return context
