"""Notebook exercises, submissions and their results.

The source notebook (with solutions and hidden tests) is stored in the database and never
leaves the server: students receive `student_notebook` (the released version) and
feedback from a run of that version, in which no hidden test ever was (see
grading.notebook.pipeline). Progress records follow the attempt / summary split: one
`Submission` row per attempt, one `ExerciseSummary` per student and exercise.
"""

from __future__ import annotations

import uuid

import nbformat
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from grading.notebook.metadata import SourceSpec, parse_source
from grading.notebook.types import SandboxLimits


class Exercise(ClusterableModel):
    """A notebook exercise in nbgrader format, attached to a course."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # uploaded, not yet checked
        VALIDATING = "validating", _("Being checked")  # the sandbox runs the source
        READY = "ready", _("Ready")  # solution scores full marks, student version zero
        INVALID = "invalid", _("Has problems")  # see validation_report

    class LatePolicy(models.TextChoices):
        ACCEPT = "accept", _("Accept late submissions")
        PENALTY = "penalty", _("Accept with a penalty")
        REFUSE = "refuse", _("Refuse late submissions")

    title = models.CharField(_("title"), max_length=200)  # shown to students
    slug = models.SlugField(_("slug"), max_length=80, unique=True)  # stable id for imports
    description = models.TextField(_("description"), blank=True)  # what to do, for students
    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exercises",
    )  # the course whose students may submit
    source_notebook = models.JSONField(
        _("source notebook"), default=dict, editable=False
    )  # the teacher's notebook as read_notebook normalized it: solutions, hidden tests
    grading_spec = models.JSONField(
        _("grading plan"), default=dict, editable=False
    )  # SourceSpec.to_dict() of the source, parsed and checked once when it was stored
    student_notebook = models.JSONField(
        _("student notebook"), default=dict, editable=False
    )  # the released version students download and answer in
    source_filename = models.CharField(_("file name"), max_length=255, blank=True)
    max_score = models.FloatField(_("maximum score"), default=0)  # sum of grade-cell points
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )  # publishing needs READY
    validation_report = models.JSONField(_("validation report"), default=dict, blank=True)
    limits = models.JSONField(
        _("sandbox limits"), default=dict, blank=True
    )  # overrides of SandboxLimits' safe defaults, e.g. {"cell_timeout_s": 10}
    runtime = models.CharField(
        _("runtime"),
        max_length=64,
        blank=True,
        help_text=_("Empty: the runtime the notebook's kernel names (python3: data science)."),
    )  # a runtime of grading/runtimes/ by name; "" follows the source's kernelspec
    pass_threshold = models.PositiveSmallIntegerField(
        _("pass mark (percent of auto-graded points)"),
        null=True,
        blank=True,
        help_text=_("Empty: every auto-graded point. Hand-graded cells never block a pass."),
    )  # what the lesson's "exercise passed" rule needs
    test_hints = models.JSONField(
        _("hints for hidden tests"), default=dict, blank=True
    )  # grade_id -> a hint the teacher wrote, shown when that test fails
    max_attempts = models.PositiveIntegerField(
        _("attempts allowed"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)  # None: no deadline
    late_policy = models.CharField(
        _("late submissions"), max_length=10, choices=LatePolicy.choices, default=LatePolicy.ACCEPT
    )
    late_penalty_percent = models.PositiveSmallIntegerField(
        _("late penalty (%)"), default=0
    )  # taken off the score of a late submission under the PENALTY policy
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("notebook exercise")
        verbose_name_plural = _("notebook exercises")
        constraints = [
            models.CheckConstraint(
                condition=Q(late_penalty_percent__lte=100), name="exercise_penalty_at_most_100"
            ),
            models.CheckConstraint(condition=Q(max_score__gte=0), name="exercise_max_score_gte_0"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def sandbox_limits(self) -> SandboxLimits:
        return SandboxLimits.from_dict(self.limits)

    @property
    def source_spec(self) -> SourceSpec:
        """The graded cells of the source, as stored with it (no parsing per submission)."""
        if not self.grading_spec and self.source_notebook:
            # a row written around exercise_set_source (raw SQL, an old dump): never grade
            # it against an empty plan
            return parse_source(nbformat.from_dict(self.source_notebook))
        return SourceSpec.from_dict(self.grading_spec)

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY


class ExerciseFile(models.Model):
    """A data file of an exercise (nbgrader's extra files beside the notebook): travels
    with it, downloaded by students with the notebook, laid read-only in the kernel's
    working directory under ``path``. Kept in the database, so every worker has it."""

    exercise = ParentalKey(Exercise, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(_("path"), max_length=255)  # relative, "/"-separated
    content = models.BinaryField(_("content"), editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64, editable=False, default="")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("data file")
        verbose_name_plural = _("data files")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "path"], name="exercise_file_unique_path")
        ]

    def __str__(self) -> str:
        return self.path


class ExerciseCellCompetence(models.Model):
    """Which competence, at which level, a graded cell of the exercise is evidence for."""

    exercise = ParentalKey(Exercise, on_delete=models.CASCADE, related_name="competence_links")
    grade_id = models.CharField(_("graded cell"), max_length=200)  # nbgrader grade_id
    competence = models.ForeignKey(
        "curricula.Competence", verbose_name=_("competence"), on_delete=models.PROTECT
    )
    level = models.PositiveSmallIntegerField(_("level"))  # proficiency level it shows

    class Meta:
        verbose_name = _("competence of a graded cell")
        verbose_name_plural = _("competences of graded cells")
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "grade_id", "competence"], name="cell_competence_unique"
            ),
            models.CheckConstraint(condition=Q(level__gte=1), name="cell_competence_level_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.grade_id} → {self.competence} L{self.level}"


class Submission(models.Model):
    """One attempt of a student at an exercise, and how its grading went."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")  # stored, waiting for a grading worker
        RUNNING = "running", _("Being graded")  # a worker took it
        GRADED = "graded", _("Graded")  # results stored
        FAILED = "failed", _("Could not be graded")  # see failure_reason

    class Origin(models.TextChoices):
        UPLOAD = "upload", _("Uploaded notebook")
        BROWSER = "browser", _("Answered in the browser")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # public id
    exercise = models.ForeignKey(
        Exercise, verbose_name=_("exercise"), on_delete=models.CASCADE, related_name="submissions"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    attempt = models.PositiveIntegerField(_("attempt"))  # 1, 2, ... per student and exercise
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices)
    notebook = models.JSONField(_("notebook"))  # exactly what the student handed in
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    failure_reason = models.TextField(_("reason"), blank=True)  # for FAILED, shown to the student
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    sent_at = models.DateTimeField(
        _("sent to the graders"), null=True, blank=True
    )  # when the broker took it; None while queued: not on the broker yet (it was down)
    started_at = models.DateTimeField(_("grading started"), null=True, blank=True)
    lease_until = models.DateTimeField(
        _("worker lease"), null=True, blank=True
    )  # RUNNING: the grading worker renews it while it works; once past, that worker is gone
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    grading_seconds = models.FloatField(_("grading time (s)"), null=True, blank=True)
    grading_runs = models.PositiveSmallIntegerField(
        _("grading runs"), default=0
    )  # how many times a worker started on it (2+ after a crash or a regrade)
    is_late = models.BooleanField(_("late"), default=False)  # submitted after the due date
    total = models.FloatField(_("score"), null=True, blank=True)  # after any late penalty
    raw_total = models.FloatField(_("score before penalty"), null=True, blank=True)
    max_total = models.FloatField(_("maximum score"), null=True, blank=True)
    needs_manual = models.BooleanField(_("needs manual grading"), default=False)
    feedback_html = models.TextField(_("feedback"), blank=True)  # from the student run only
    notes = models.JSONField(_("grading notes"), default=list, blank=True)  # repairs made
    sandboxed = models.BooleanField(_("sandboxed"), default=True)  # False: dev mode only

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "student", "attempt"], name="submission_unique_attempt"
            ),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="submission_attempt_gte_1"),
        ]
        indexes = [
            models.Index(fields=["status", "started_at"]),
            models.Index(fields=["exercise", "student"]),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.student} · #{self.attempt}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.GRADED, self.Status.FAILED)


class CellResult(models.Model):
    """The score of one graded cell of a submission."""

    class Status(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", pgettext_lazy("test result", "Failed")
        NEEDS_MANUAL = "needs_manual", _("Needs manual grading")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="cells")
    grade_id = models.CharField(_("graded cell"), max_length=200)  # nbgrader grade_id
    position = models.PositiveIntegerField(_("position"))  # order in the source notebook
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    auto_score = models.FloatField(_("automatic score"), null=True, blank=True)  # None: manual
    manual_score = models.FloatField(_("manual score"), null=True, blank=True)  # a teacher's
    max_score = models.FloatField(_("maximum score"))
    message = models.TextField(_("message"), blank=True)  # names the test; no hidden code
    comment = models.TextField(_("teacher's comment"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("graded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )  # the teacher who set manual_score

    class Meta:
        ordering = ["position"]
        verbose_name = _("cell result")
        verbose_name_plural = _("cell results")
        constraints = [
            models.UniqueConstraint(fields=["submission", "grade_id"], name="cell_result_unique"),
            models.CheckConstraint(
                condition=Q(manual_score__isnull=True) | Q(manual_score__gte=0),
                name="cell_result_manual_score_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission} · {self.grade_id}"

    @property
    def score(self) -> float | None:
        return self.manual_score if self.manual_score is not None else self.auto_score


class ExerciseSummary(models.Model):
    """One row per student and exercise: the best attempt so far (what dashboards read)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="summaries")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_summaries"
    )
    attempts = models.PositiveIntegerField(default=0)  # submissions handed in
    best_submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the graded attempt with the highest score
    best_score = models.FloatField(null=True, blank=True)  # its score
    max_score = models.FloatField(default=0)  # the exercise's maximum
    passed = models.BooleanField(default=False)  # a graded attempt passed (grading/completion.py)
    last_activity = models.DateTimeField(null=True, blank=True)  # latest submission time

    class Meta:
        verbose_name = _("exercise summary")
        verbose_name_plural = _("exercise summaries")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "student"], name="exercise_summary_unique")
        ]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.student}"


class ExerciseDraft(models.Model):
    """A student's unsubmitted answers, saved as they type: one per student and exercise."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="drafts")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_drafts"
    )
    answers = models.JSONField(default=dict)  # grade_id -> source, as for a submission
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "student"], name="exercise_draft_unique")
        ]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.student}"


class ExerciseRun(models.Model):
    """A student's "Run" or "Check" of their answers: the student version executed in the
    sandbox (never the hidden tests), up to one cell. Not a submission: no attempt, no
    score, not in the gradebook."""

    class Kind(models.TextChoices):
        RUN = "run", _("Run")
        CHECK = "check", _("Check with the visible tests")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # public id
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="runs")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_runs"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.RUN)
    answers = models.JSONField(default=dict)  # grade_id -> source
    upto = models.CharField(max_length=200, blank=True)  # grade_id of the last cell to run
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    outputs = models.JSONField(default=list, blank=True)  # per executed cell, see grading.runs
    error = models.TextField(blank=True)  # why the run stopped early, for the student
    stop_requested = models.BooleanField(default=False)  # the student pressed Stop
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        indexes = [models.Index(fields=["student", "status"])]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.student} · {self.kind}"


class RegradeJob(models.Model):
    """A teacher's regrade of many submissions, with progress for the progress bar."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="regrades")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    total = models.PositiveIntegerField(default=0)  # submissions to regrade
    submission_ids = models.JSONField(default=list)  # which ones (progress is read from them)
    finished_at = models.DateTimeField(null=True, blank=True)  # all of them finished

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("regrade")
        verbose_name_plural = _("regrades")

    def __str__(self) -> str:
        return f"{self.exercise} · {self.created_at:%Y-%m-%d %H:%M}"


class SimilarityCheck(models.Model):
    """A comparison of the latest submissions of an exercise's students (grading.similarity),
    asked for by a teacher or started by the deadline; for teachers only, never students."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Comparing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="similarity_checks"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # None: started by the schedule after the deadline
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, for the progress bar
    submissions_compared = models.PositiveIntegerField(default=0)  # one per student
    pairs_found = models.PositiveIntegerField(default=0)  # stored: above the threshold, capped
    parameters = models.JSONField(default=dict, blank=True)  # k, window, threshold, max_pairs
    error = models.TextField(blank=True)  # why a FAILED check stopped, for the teacher
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("similarity check")
        verbose_name_plural = _("similarity checks")
        indexes = [models.Index(fields=["exercise", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="similarity_check_progress_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class SimilarPair(models.Model):
    """Two submissions of different students whose answer code is alike, as a check found
    them; only the latest finished check of an exercise keeps its pairs."""

    check_run = models.ForeignKey(SimilarityCheck, on_delete=models.CASCADE, related_name="pairs")
    rank = models.PositiveIntegerField()  # 1: the most alike
    first = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    first_similarity = models.FloatField()  # share of the first's code found in the second
    second_similarity = models.FloatField()  # and the other way round
    similarity = models.FloatField()  # the larger of the two: what ranks the pair
    overlap = models.PositiveIntegerField()  # characters of normalized code in common
    first_code = models.TextField()  # the answer code compared (the spans index into it)
    second_code = models.TextField()
    first_spans = models.JSONField(default=list)  # [[start, end], ...] shared parts of first_code
    second_spans = models.JSONField(default=list)

    class Meta:
        ordering = ["check_run", "rank"]
        verbose_name = _("similar pair")
        verbose_name_plural = _("similar pairs")
        constraints = [
            models.UniqueConstraint(fields=["check_run", "rank"], name="similar_pair_unique_rank"),
            models.CheckConstraint(
                condition=~Q(first=models.F("second")), name="similar_pair_two_submissions"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.check_run} · #{self.rank}"
