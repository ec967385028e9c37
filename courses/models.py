"""Course and lesson pages; assignments, enrolments, quiz attempts and progress.

Page tree: CurriculumPage (curricula app) -> CoursePage -> LessonPage. Everything a
student does is transactional data in plain models with constraints, split Kolibri-style
into attempts (one row per answer: `QuizAttempt`) and summaries (one row per student and
item: `LessonProgress`, `CourseProgress`). Competence evidence is the evidence app's.

Translations: a course or lesson copied into another locale (Wagtail's copy for
translation) is the same course for progress. Enrolments, attempts and progress always
point at the *original* page of a translation group (`canonical_page`), so a student who
switches language keeps their progress.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.routing import TranslationFallbackMixin
from curricula.models import Competence

from .blocks import LessonBodyBlock


class CourseLevel(models.TextChoices):
    """How much a course expects of its students (DigComp's bands, without the top one)."""

    FOUNDATION = "foundation", _("Foundation")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


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
        from .validation import course_problems

        return course_problems(self.instance)


class LessonPageForm(PublishCheckedPageForm):
    def publish_problems(self, cleaned_data: dict) -> list[str]:
        from .validation import lesson_problems

        body = cleaned_data.get("body")
        raw = body.get_prep_value() if body is not None else []
        return lesson_problems(rule=cleaned_data.get("completion_rule", ""), body=raw)


class CoursePage(TranslationFallbackMixin, Page):
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
        from . import access, selectors

        context = super().get_context(request, *args, **kwargs)
        original = canonical_page(self)
        # the original course's lessons, each in the reader's language where translated
        lessons = list(LessonPage.objects.child_of(original).live().public())
        shown = selectors.in_language(lessons)
        outline = selectors.course_outline(user=request.user, course=self, lessons=lessons)
        context["lessons"] = [
            {
                "page": shown[lesson.pk],
                "url": selectors.url_in_language(shown[lesson.pk]),
                "completed": lesson.pk in outline.completed_lesson_ids,
            }
            for lesson in lessons
        ]
        context["outline"] = outline
        context["competences"] = original.competences.all()
        context["prerequisites"] = self.prerequisites.live().public()
        user = request.user
        context["may_self_enrol"] = not outline.enrolled and access.may_self_enrol(user, original)
        context["assign_cohorts"] = (
            list(access.assignable_cohorts(user)) if user.is_authenticated else []
        )
        context["original"] = original
        return context


class CompletionRule(models.TextChoices):
    """When a lesson counts as completed for a student."""

    READ = "read", _("Read: the student marks it as read")
    QUIZ = "quiz", _("Quiz passed: every quiz of the lesson reaches its pass mark")
    EXERCISE = "exercise", _("Exercise passed: every notebook exercise scores full marks")


class LessonPage(Page):
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
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        course = self.get_parent().specific
        original = canonical_page(self)
        # neighbours among the original course's lessons, in the reader's language
        siblings = list(LessonPage.objects.sibling_of(original).live().public())
        shown = selectors.in_language(siblings)
        here = next((i for i, lesson in enumerate(siblings) if lesson.pk == original.pk), None)
        context["course"] = course
        context["course_url"] = selectors.url_in_language(course)
        if here is not None:  # a draft being previewed has no place among live lessons yet
            before = shown[siblings[here - 1].pk] if here > 0 else None
            after = shown[siblings[here + 1].pk] if here + 1 < len(siblings) else None
            context["previous_lesson"] = before
            context["previous_url"] = selectors.url_in_language(before) if before else ""
            context["next_lesson"] = after
            context["next_url"] = selectors.url_in_language(after) if after else ""
        enrolled = getattr(request, "lesson_enrolled", False)
        state = selectors.lesson_state(user=request.user, lesson=self, enrolled=enrolled)
        context["lesson_state"] = state
        # quizzes render from their student view (no answers), everything else as usual
        context["body_items"] = [
            (block, state.quizzes.get(block.id) if block.block_type == "quiz" else None)
            for block in self.body
        ]
        return context

    def serve(self, request, *args, **kwargs):
        """Only enrolled students (and teachers, authors) read a lesson; a student's visit
        is recorded. Others learn why, and how to get in."""
        from django.contrib.auth.views import redirect_to_login
        from django.template.response import TemplateResponse

        from . import access, selectors, services

        if getattr(request, "is_preview", False):
            request.lesson_enrolled = False
            return super().serve(request, *args, **kwargs)
        decision = access.lesson_access(request.user, self)
        if not decision.allowed and decision.reason == "login":
            return redirect_to_login(request.get_full_path())
        if not decision.allowed:
            course = canonical_page(self.get_parent().specific)
            return TemplateResponse(
                request,
                "courses/lesson_locked.html",
                {
                    "page": self,
                    "course": course,
                    "course_url": selectors.url_in_language(course),
                    "may_self_enrol": access.may_self_enrol(request.user, course),
                },
                status=403,
            )
        request.lesson_enrolled = decision.enrolled
        if decision.enrolled:
            services.lesson_visit(student=request.user, lesson=self)
        return super().serve(request, *args, **kwargs)


# ---------------------------------------------------------------------------------------
# Assignment and enrolment (transactional data: plain models with constraints)
# ---------------------------------------------------------------------------------------


class CourseAssignment(models.Model):
    """A teacher gives a course to a cohort: its students are enrolled, also later joiners."""

    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="assignments"
    )
    cohort = models.ForeignKey(
        "people.Cohort",
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


# ---------------------------------------------------------------------------------------
# Quiz attempts and progress (Kolibri's split: attempts, then summaries)
# ---------------------------------------------------------------------------------------


class QuizAttempt(models.Model):
    """One answer of a student to one quiz question (every try is kept)."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
    )  # who answered
    lesson = models.ForeignKey(
        LessonPage, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="+"
    )  # the original lesson of the translation group the question belongs to
    quiz_id = models.CharField(_("quiz"), max_length=64)  # the quiz block's id in the body
    question_id = models.CharField(_("question"), max_length=64)  # the question's id in it
    answer = models.JSONField(_("answer"), default=list)  # chosen choice ids, or [number]
    is_correct = models.BooleanField(_("correct"))  # checked on the server, never by the browser
    competence = models.ForeignKey(
        Competence,
        verbose_name=_("competence"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )  # what the question is evidence for, as tagged when answered
    level = models.PositiveSmallIntegerField(_("level"), default=1)  # its proficiency level
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)  # when

    class Meta:
        ordering = ["-answered_at", "-pk"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1), name="quizattempt_level_gte_1"),
        ]
        indexes = [
            models.Index(fields=["student", "lesson", "question_id"]),
            models.Index(fields=["lesson", "question_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.lesson_id} · {self.question_id}"


class LessonProgress(models.Model):
    """One row per student and lesson: what they did there so far (what pages read)."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="lesson_progress",
    )  # whose progress
    lesson = models.ForeignKey(
        LessonPage, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="+"
    )  # the original lesson of its translation group
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="+"
    )  # the lesson's (original) course, copied here so a course's rows are one filter away
    first_visited_at = models.DateTimeField(_("first visit"), null=True, blank=True)  # None: never
    last_visited_at = models.DateTimeField(_("last visit"), null=True, blank=True)  # latest
    visits = models.PositiveIntegerField(_("visits"), default=0)  # page views while enrolled
    quiz_score = models.FloatField(
        _("quiz score"), null=True, blank=True
    )  # 0..1: latest answers right / questions in the lesson's quizzes; None: no answer yet
    quiz_passed = models.BooleanField(_("quiz passed"), default=False)  # every quiz at its mark
    quiz_answered_at = models.DateTimeField(
        _("quiz answered"), null=True, blank=True
    )  # the latest answer to any of the lesson's questions
    exercise_passed = models.BooleanField(
        _("exercise passed"), default=False
    )  # every exercise of the lesson scored full marks
    completed_at = models.DateTimeField(
        _("completed"), null=True, blank=True
    )  # first time the lesson's completion rule was met; kept afterwards

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["student", "lesson"], name="lessonprogress_unique"),
            models.CheckConstraint(
                condition=Q(quiz_score__isnull=True) | Q(quiz_score__gte=0, quiz_score__lte=1),
                name="lessonprogress_quiz_score_0_1",
            ),
        ]
        indexes = [models.Index(fields=["course", "student"])]

    def __str__(self) -> str:
        return f"{self.student} · {self.lesson_id}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class CourseProgress(models.Model):
    """One row per student and course: how far they are (what dashboards read)."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="course_progress",
    )  # whose progress
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="progress"
    )  # the original course of its translation group
    lessons_total = models.PositiveIntegerField(
        _("lessons"), default=0
    )  # live lessons when last counted (recounted when a lesson is published or unpublished)
    lessons_completed = models.PositiveIntegerField(
        _("lessons completed"), default=0
    )  # of those, how many the student completed
    percent = models.PositiveSmallIntegerField(_("percent"), default=0)  # completed / total
    last_activity_at = models.DateTimeField(
        _("last activity"), null=True, blank=True
    )  # latest visit, answer or graded exercise in the course
    completed_at = models.DateTimeField(
        _("completed"), null=True, blank=True
    )  # when every lesson was first completed

    class Meta:
        verbose_name = _("course progress")
        verbose_name_plural = _("course progress")
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="courseprogress_unique"),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="courseprogress_percent_le_100"
            ),
            models.CheckConstraint(
                condition=Q(lessons_completed__lte=models.F("lessons_total")),
                name="courseprogress_completed_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.course_id} · {self.percent}%"


def canonical_page(page: Page) -> Page:
    """The original page of a translation group (the first created), as its own class."""
    first = (
        type(page)
        .objects.filter(translation_key=page.translation_key)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if first is None or first == page.pk:
        return page
    return type(page).objects.get(pk=first)
