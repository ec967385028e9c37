"""What students and teachers do with courses: assignments, enrolments, quiz attempts and
progress. Transactional data, in plain models with constraints, split Kolibri-style into
attempts (one row per answer: `QuizAttempt`) and summaries (one row per student and item:
`LessonProgress`, `CourseProgress`).

The rows point at the course and lesson pages (models.py) by name, so that the reads the
pages themselves need (page_selectors.py) sit below the page classes. Enrolments, attempts
and progress always point at the *original* page of a translation group
(`cms.translation.canonical_page`), so a student who switches language keeps their progress.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from curricula.models import Competence

# ---------------------------------------------------------------------------------------
# Assignment and enrolment (transactional data: plain models with constraints)
# ---------------------------------------------------------------------------------------


class CourseAssignment(models.Model):
    """A teacher gives a course to a cohort: its students are enrolled, also later joiners."""

    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.CASCADE,
        related_name="assignments",
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
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.CASCADE,
        related_name="enrolments",
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
        "courses.LessonPage", verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="+"
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


class ExerciseOutcome(models.Model):
    """One row per student and notebook exercise: whether grading last reported it passed.

    Grading sits above courses, so it tells courses the outcome (`exercise_outcome_record`)
    and lesson progress reads this row, never grading's tables.
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="+",
    )  # whose outcome
    exercise_id = models.PositiveBigIntegerField(
        _("exercise")
    )  # grading's Exercise id: a number, not a foreign key, as courses sits below grading
    passed = models.BooleanField(
        _("passed"), default=False
    )  # the best graded attempt scored full marks
    recorded_at = models.DateTimeField(
        _("recorded"), default=timezone.now
    )  # when grading last reported it (graded, regraded or graded by hand)

    class Meta:
        verbose_name = _("exercise outcome")
        verbose_name_plural = _("exercise outcomes")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "exercise_id"], name="exerciseoutcome_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · exercise {self.exercise_id} · {self.passed}"


class LessonProgress(models.Model):
    """One row per student and lesson: what they did there so far (what pages read)."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="lesson_progress",
    )  # whose progress
    lesson = models.ForeignKey(
        "courses.LessonPage", verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="+"
    )  # the original lesson of its translation group
    course = models.ForeignKey(
        "courses.CoursePage", verbose_name=_("course"), on_delete=models.CASCADE, related_name="+"
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
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.CASCADE,
        related_name="progress",
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
