"""Mastery roll-ups, pre-aggregated monthly figures, and the ministry's reports.

Three layers, each derived from the one before, each rebuildable from scratch with
`manage.py rebuild_mastery` (set-based SQL, see services.mastery_rebuild):

1. `CompetenceEvidence` (evidence app): one row per quiz question / graded cell.
2. Per student and competence: `MasteryRollup` (where the student stands now) and
   `MasteryStep` (the level reached as of each month with evidence). Internal: never
   shown to a ministry role.
3. Per cohort: `CohortMasteryChange` (how many of its students moved into / out of a
   level on a competence in a month) and `CohortMonthlyActivity` (how many were active);
   `InstitutionLevelChange`: the cohort changes summed per institution over competences.
4. Per region, institution kind, track and academic year: `MasteryCube`, the cohort
   changes summed up; and the cube summed once more, over competences
   (`RegionLevelChange`) and over regions (`CountryCompetenceChange`), and the cohorts'
   activity likewise (`RegionMonthlyActivity`): a few thousand rows each, what a
   country-wide page reads.
Every ministry figure is an aggregate query over these tables, then suppressed.

The derived tables carry no database foreign-key constraints (`db_constraint=False`) and
no index per foreign key (each unique constraint's index leads with what is looked up):
they are rebuilt from the evidence, Django still cascades deletions, and a set-based
rebuild of millions of rows does not wait for millions of triggers and index updates.

Level reached: the highest proficiency level with at least one piece of evidence scoring
MASTERY_THRESHOLD (0.5) or more; 0 means "evidence, but no level reached yet".
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from people.models import Track

MASTERY_THRESHOLD = 0.5  # a piece of evidence at a level counts when it scores at least this


# ---------------------------------------------------------------------------------------
# Per student (internal)
# ---------------------------------------------------------------------------------------


def derived_key(to, verbose_name, *, indexed: bool = False, related_name: str = "+"):
    """A reference from a derived table (recomputed from the evidence, never edited): no
    database constraint, so a rebuild is not slowed down by constraint triggers, and no index
    of its own unless asked (the tables' composite indexes lead with the columns they need).
    """
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=indexed,
        related_name=related_name,
    )


class MasteryRollup(models.Model):
    """Where a student stands on one competence, recomputed whenever its evidence changes."""

    # student: not indexed on its own, the unique (student, competence) index leads with it
    student = derived_key(
        settings.AUTH_USER_MODEL, _("student"), related_name="mastery_rollups"
    )  # whose mastery
    competence = derived_key("curricula.Competence", _("competence"))  # of which competence
    framework = derived_key(
        "curricula.CompetenceFramework", _("framework")
    )  # the competence's framework, copied so reports filter without two joins
    level = models.PositiveSmallIntegerField(_("level reached"))  # 0: none reached yet
    evidence_count = models.PositiveIntegerField(_("evidence"))  # pieces of evidence standing
    average_score = models.FloatField(_("average score"))  # 0..1 over those pieces
    first_activity_at = models.DateTimeField(_("first activity"))  # oldest standing evidence
    last_activity_at = models.DateTimeField(_("last activity"))  # newest standing evidence

    class Meta:
        verbose_name = _("mastery roll-up")
        verbose_name_plural = _("mastery roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["student", "competence"], name="rollup_unique_pair"),
            models.CheckConstraint(condition=Q(evidence_count__gte=1), name="rollup_has_evidence"),
            models.CheckConstraint(
                condition=Q(average_score__gte=0, average_score__lte=1), name="rollup_score_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.competence_id} · L{self.level}"


class MasteryStep(models.Model):
    """The level a student had reached on a competence at the end of a month in which they
    produced evidence for it. The history the monthly trend is drawn from."""

    student = derived_key(settings.AUTH_USER_MODEL, _("student"))  # whose history
    competence = derived_key("curricula.Competence", _("competence"))  # of which competence
    framework = derived_key(
        "curricula.CompetenceFramework", _("framework")
    )  # copied from the competence
    month = models.DateField(_("month"))  # first day of the month, in the platform's time zone
    level = models.PositiveSmallIntegerField(_("level reached"))  # as of the end of that month

    class Meta:
        verbose_name = _("mastery step")
        verbose_name_plural = _("mastery steps")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "competence", "month"], name="masterystep_unique_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="masterystep_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.competence_id} · {self.month:%Y-%m} · L{self.level}"


# ---------------------------------------------------------------------------------------
# Per cohort (what every report reads)
# ---------------------------------------------------------------------------------------
class CohortMasteryChange(models.Model):
    """Net number of a cohort's students who reached `level` on a competence in `month`
    (+1 when a student arrives at the level, -1 when they move on from it). Summing the
    rows up to a month gives the distribution over levels as of that month."""

    cohort = derived_key(
        "people.Cohort", _("cohort"), indexed=True
    )  # the students' cohort (a student in two cohorts counts in both)
    competence = derived_key("curricula.Competence", _("competence"))  # which competence
    framework = derived_key(
        "curricula.CompetenceFramework", _("framework")
    )  # copied from the competence
    month = models.DateField(_("month"))  # first day of the month
    level = models.PositiveSmallIntegerField(_("level"))  # 0: assessed, nothing reached yet
    change = models.IntegerField(_("change"))  # students in, minus students out

    class Meta:
        verbose_name = _("cohort mastery change")
        verbose_name_plural = _("cohort mastery changes")
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "competence", "month", "level"], name="cohortchange_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort_id} · {self.competence_id} · {self.month:%Y-%m} · L{self.level}"


class InstitutionLevelChange(models.Model):
    """CohortMasteryChange summed over the competences of a framework and the cohorts of an
    institution, track and year: per-institution figures of a region read from here."""

    institution = derived_key("people.Institution", _("institution"))  # the cohorts' institution
    track = models.CharField(_("track"), max_length=12)  # the cohorts' track
    academic_year = models.CharField(_("academic year"), max_length=9)  # the cohorts' year
    framework = derived_key(
        "curricula.CompetenceFramework", _("framework")
    )  # whose competences are summed
    month = models.DateField(_("month"))  # first day of the month
    level = models.PositiveSmallIntegerField(_("level"))  # 0: assessed, nothing reached yet
    change = models.IntegerField(_("change"))  # competence results in, minus results out

    class Meta:
        verbose_name = _("institution level change")
        verbose_name_plural = _("institution level changes")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "track", "academic_year", "framework", "month", "level"],
                name="institutionlevel_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} · {self.track} · {self.month:%Y-%m} · L{self.level}"


class MasteryCube(models.Model):
    """Cohort changes summed by the cohort's region, institution kind, track and academic
    year: what a region's figures per competence and month read. Summed once more for the
    country (RegionLevelChange, CountryCompetenceChange). Re-derived from
    CohortMasteryChange when a cohort or an institution changes."""

    region = derived_key(
        "people.Region", _("region")
    )  # the institution's region or city (a city is summed into its region when read)
    kind = models.CharField(_("institution kind"), max_length=12)  # school, university...
    track = models.CharField(_("track"), max_length=12)  # the cohort's track
    academic_year = models.CharField(_("academic year"), max_length=9)  # the cohort's year
    framework = derived_key(
        "curricula.CompetenceFramework", _("framework")
    )  # copied from the competence
    competence = derived_key("curricula.Competence", _("competence"))  # which competence
    month = models.DateField(_("month"))  # first day of the month
    level = models.PositiveSmallIntegerField(_("level"))  # 0: assessed, nothing reached yet
    change = models.IntegerField(_("change"))  # students in, minus students out

    class Meta:
        verbose_name = _("mastery cube cell")
        verbose_name_plural = _("mastery cube")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "track", "academic_year", "competence", "month", "level"],
                name="masterycube_unique",
            ),
        ]
        indexes = [models.Index(fields=["academic_year", "framework", "month"])]

    def __str__(self) -> str:
        return f"{self.region_id} · {self.kind} · {self.track} · {self.competence_id}"


class RegionLevelChange(models.Model):
    """MasteryCube summed over the competences of a framework: the country's levels by
    region, institution kind and track, and its monthly trend, from a few thousand rows
    (the cube itself has a row per competence too, which a country-wide page need not read)."""

    region = derived_key(
        "people.Region", _("region")
    )  # the institution's region or city, as in the cube
    kind = models.CharField(_("institution kind"), max_length=12)  # school, university...
    track = models.CharField(_("track"), max_length=12)  # the cohort's track
    academic_year = models.CharField(_("academic year"), max_length=9)  # the cohort's year
    framework = derived_key(
        "curricula.CompetenceFramework", _("framework")
    )  # whose competences are summed
    month = models.DateField(_("month"))  # first day of the month
    level = models.PositiveSmallIntegerField(_("level"))  # 0: assessed, nothing reached yet
    change = models.IntegerField(_("change"))  # competence results in, minus results out

    class Meta:
        verbose_name = _("region level change")
        verbose_name_plural = _("region level changes")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "track", "academic_year", "framework", "month", "level"],
                name="regionlevel_unique",
            ),
        ]
        indexes = [models.Index(fields=["academic_year", "framework", "month"])]

    def __str__(self) -> str:
        return f"{self.region_id} · {self.kind} · {self.track} · {self.month:%Y-%m}"


class CountryCompetenceChange(models.Model):
    """MasteryCube summed over regions: the country's levels per competence by institution
    kind and track, from a few thousand rows."""

    kind = models.CharField(_("institution kind"), max_length=12)  # school, university...
    track = models.CharField(_("track"), max_length=12)  # the cohort's track
    academic_year = models.CharField(_("academic year"), max_length=9)  # the cohort's year
    framework = derived_key(
        "curricula.CompetenceFramework", _("framework")
    )  # copied from the competence
    competence = derived_key("curricula.Competence", _("competence"))  # which competence
    month = models.DateField(_("month"))  # first day of the month
    level = models.PositiveSmallIntegerField(_("level"))  # 0: assessed, nothing reached yet
    change = models.IntegerField(_("change"))  # students in, minus students out

    class Meta:
        verbose_name = _("country competence change")
        verbose_name_plural = _("country competence changes")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "track", "academic_year", "competence", "month", "level"],
                name="countrycompetence_unique",
            ),
        ]
        indexes = [models.Index(fields=["academic_year", "framework", "month"])]

    def __str__(self) -> str:
        return f"{self.kind} · {self.track} · {self.competence_id} · {self.month:%Y-%m}"


class CohortEnrolment(models.Model):
    """How many students a cohort has now; moved by every student membership change."""

    cohort = derived_key("people.Cohort", _("cohort"))  # which cohort
    students = models.IntegerField(_("students"))  # student memberships in it

    class Meta:
        verbose_name = _("cohort enrolment")
        verbose_name_plural = _("cohort enrolments")
        constraints = [
            models.UniqueConstraint(fields=["cohort"], name="cohortenrolment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.cohort_id} · {self.students}"


class CohortMonthlyCompletion(models.Model):
    """How many of a cohort's students completed their first course in a month. Refreshed
    set-based every few minutes and before each report delivery (course progress is
    written in many places, some in bulk)."""

    cohort = derived_key("people.Cohort", _("cohort"))  # whose students
    month = models.DateField(_("month"))  # first day of the month
    students = models.IntegerField(_("students"))  # first completion in that month

    class Meta:
        verbose_name = _("cohort monthly completion")
        verbose_name_plural = _("cohort monthly completions")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "month"], name="cohortcompletion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.cohort_id} · {self.month:%Y-%m} · {self.students}"


class CohortMonthlyActivity(models.Model):
    """How many of a cohort's students produced evidence in a month (any competence)."""

    cohort = derived_key("people.Cohort", _("cohort"), indexed=True)  # whose students
    month = models.DateField(_("month"))  # first day of the month
    students = models.IntegerField(_("active students"))  # distinct students with evidence

    class Meta:
        verbose_name = _("cohort monthly activity")
        verbose_name_plural = _("cohort monthly activity")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "month"], name="cohortactivity_unique"),
        ]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.cohort_id} · {self.month:%Y-%m} · {self.students}"


class RegionMonthlyActivity(models.Model):
    """CohortMonthlyActivity summed by the cohort's region, institution kind, track and
    academic year: the monthly trend of active students country- and region-wide."""

    region = derived_key(
        "people.Region", _("region")
    )  # the institution's region or city, as in the cube
    kind = models.CharField(_("institution kind"), max_length=12)  # school, university...
    track = models.CharField(_("track"), max_length=12)  # the cohort's track
    academic_year = models.CharField(_("academic year"), max_length=9)  # the cohort's year
    month = models.DateField(_("month"))  # first day of the month
    students = models.IntegerField(_("active students"))  # summed over the cohorts

    class Meta:
        verbose_name = _("region monthly activity")
        verbose_name_plural = _("region monthly activity")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "track", "academic_year", "month"],
                name="regionactivity_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} · {self.kind} · {self.track} · {self.month:%Y-%m}"


# ---------------------------------------------------------------------------------------
# Audit, builds, schedules and deliveries
# ---------------------------------------------------------------------------------------
class ReportAccessLog(models.Model):
    """Every time someone reads a report: page, API, file or delivery."""

    class Channel(models.TextChoices):
        PAGE = "page", _("Dashboard page")
        API = "api", _("API")
        FILE = "file", _("File download")
        DELIVERY = "delivery", _("Scheduled delivery")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )  # who read it (None: the scheduler)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)  # how
    what = models.CharField(_("what"), max_length=60)  # scope and format, e.g. "region/xlsx"
    filters = models.JSONField(_("filters"), default=dict)  # the filters as validated
    accessed_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)  # when

    class Meta:
        ordering = ["-accessed_at"]
        verbose_name = _("report access")
        verbose_name_plural = _("report access log")

    def __str__(self) -> str:
        return f"{self.accessed_at:%Y-%m-%d %H:%M} · {self.user_id} · {self.what}"


class ReportFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"


class ReportBuild(models.Model):
    """A report file being built in the background; the dashboard polls its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", pgettext_lazy("report build", "Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )  # only they may download it
    format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)  # file type
    filters = models.JSONField(_("filters"), default=dict)  # as validated, incl. the scope
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )  # where the build is
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # percent, 0..100
    content = models.BinaryField(_("content"), null=True, blank=True)  # the file when done
    error = models.TextField(_("error"), blank=True)  # why it failed
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)  # when asked
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)  # done or failed

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report build")
        verbose_name_plural = _("report builds")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="reportbuild_progress_le_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.format} · {self.status} · {self.progress}%"


class MinistryEndpoint(models.Model):
    """A ministry system that receives the monthly report by signed HTTPS POST."""

    name = models.CharField(_("name"), max_length=120)  # who runs it
    url = models.URLField(_("URL"), max_length=500)  # HTTPS; plain HTTP only to this machine
    secret = models.CharField(
        _("shared secret"), max_length=200, help_text=_("Signs each delivery (HMAC-SHA256).")
    )  # agreed with the receiving system
    is_active = models.BooleanField(_("active"), default=True)  # inactive: nothing delivered

    class Meta:
        verbose_name = _("ministry endpoint")
        verbose_name_plural = _("ministry endpoints")
        constraints = [models.UniqueConstraint(fields=["url"], name="endpoint_unique_url")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not local:
            raise ValidationError({"url": _("Reports leave the platform over HTTPS only.")})


class ReportSchedule(models.Model):
    """A monthly report and who receives it. When it runs: the periodic task
    "monthly-ministry-reports" (django-celery-beat, editable in the admin)."""

    name = models.CharField(_("name"), max_length=120)  # what the report is called
    framework = models.ForeignKey(
        "curricula.CompetenceFramework",
        verbose_name=_("framework"),
        on_delete=models.PROTECT,
        related_name="+",
    )  # which framework's levels it reports
    region = models.ForeignKey(
        "people.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )  # None: the whole country
    track = models.CharField(
        _("track"), max_length=12, blank=True, choices=Track.choices
    )  # "": every track
    endpoints = models.ManyToManyField(
        MinistryEndpoint, verbose_name=_("endpoints"), related_name="schedules", blank=True
    )  # where it is delivered
    is_active = models.BooleanField(_("active"), default=True)  # inactive: not built
    created_at = models.DateTimeField(_("created"), auto_now_add=True)  # when set up

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        constraints = [models.UniqueConstraint(fields=["name"], name="schedule_unique_name")]

    def __str__(self) -> str:
        return self.name


class ReportDelivery(models.Model):
    """One report for one endpoint. Its idempotency key never changes: a retry or a resend
    carries the same key and the same bytes, so the receiver can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", pgettext_lazy("delivery", "Failed")

    schedule = models.ForeignKey(
        ReportSchedule,
        verbose_name=_("schedule"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )  # which report
    endpoint = models.ForeignKey(
        MinistryEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )  # to whom
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM the report describes
    idempotency_key = models.UUIDField(
        _("idempotency key"), default=uuid.uuid4, editable=False
    )  # sent as the Idempotency-Key header
    payload = models.BinaryField(_("payload"))  # the exact JSON bytes signed and sent
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )  # outcome so far
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)  # made so far
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)  # first 2xx
    created_at = models.DateTimeField(_("created"), auto_now_add=True)  # when built

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="delivery_unique_key"),
            # one delivery per report, endpoint and month: a second run of the monthly task
            # finds it instead of sending the report again
            models.UniqueConstraint(
                fields=["schedule", "endpoint", "period"], name="delivery_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                name="delivery_period_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} → {self.endpoint} · {self.period} · {self.status}"


class DeliveryAttempt(models.Model):
    """One HTTP POST of a delivery, whatever came of it."""

    delivery = models.ForeignKey(
        ReportDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )  # which delivery
    attempted_at = models.DateTimeField(_("when"), default=timezone.now)  # request sent
    ok = models.BooleanField(_("succeeded"))  # 2xx received
    http_status = models.PositiveSmallIntegerField(
        _("HTTP status"), null=True, blank=True
    )  # None: no answer (refused, timed out)
    error = models.CharField(_("error"), max_length=500, blank=True)  # what went wrong
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)  # round trip

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} · {self.attempted_at:%Y-%m-%d %H:%M:%S} · {self.http_status}"
