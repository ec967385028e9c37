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


# ---------------------------------------------------------------------------------------
# Assignment and enrolment (transactional data: plain models with constraints)
# ---------------------------------------------------------------------------------------


class CourseAssignment(models.Model):
    """A teacher gives a course to a cohort: its students are enrolled, also later joiners."""

    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="assignments"
    )
    cohort = models.ForeignKey(
        "lms.Cohort",
        verbose_name=_("cohort"),
        on_delete=models.CASCADE,
        related_name="course_assignments",
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)  # None: at once
    due_at = models.DateTimeField(_("due"), null=True, blank=True)  # None: no deadline
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )  # the teacher who assigned it
    created_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    class Meta:
        verbose_name = _("course assignment")
        verbose_name_plural = _("course assignments")
        constraints = [
            models.UniqueConstraint(fields=["course", "cohort"], name="assignment_unique"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(due_at__isnull=True)
                | Q(due_at__gte=models.F("starts_at")),
                name="assignment_due_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} → {self.cohort}"


class Enrolment(models.Model):
    """A student takes a course, assigned through a cohort or by self-enrolment."""

    class Source(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to my cohort")
        SELF = "self", _("Self-enrolled")

    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrolments"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    source = models.CharField(_("how"), max_length=10, choices=Source.choices)
    assignment = models.ForeignKey(
        CourseAssignment,
        verbose_name=_("assignment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
    )  # the cohort assignment that enrolled the student, if any
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["course", "student"], name="enrolment_unique")
        ]
        indexes = [models.Index(fields=["student", "course"])]

    def __str__(self) -> str:
        return f"{self.student} · {self.course}"
