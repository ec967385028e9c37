"""The roll-up tables: mastery per student, and the figures every report reads.

Each layer is derived from the one before and rebuildable from scratch with
`manage.py rebuild_mastery` (set-based SQL, reports/rollups/rebuild.py):

1. `CompetenceEvidence` (evidence app): one row per quiz question / graded cell.
2. Per student and competence: `MasteryRollup`, where the student stands now and their
   steps (the level reached as of each month with evidence, the history a trend is drawn
   from). Internal: never shown to a ministry role.
3. Per cohort: `CohortMonthlyActivity` (how many of its students were active in a
   month), `CohortEnrolment` and `CohortMonthlyCompletion`; `InstitutionLevelChange`: how
   many of an institution's students (per track and year) moved into / out of a level on
   a framework's competences in a month. An institution's figures per cohort and per
   competence are summed from its students' steps when its report is drawn (a few
   thousand rows; a table per cohort and competence would be as big as the steps).
4. Per region, institution kind, track and academic year: `MasteryCube`, the cohort
   changes summed up; and the cube summed once more, over competences
   (`RegionLevelChange`) and over regions (`CountryCompetenceChange`), and the cohorts'
   activity, enrolment and course completions likewise (`RegionMonthlyActivity`,
   `RegionEnrolment`, `RegionMonthlyCompletion`): a few thousand rows each, what a
   country-wide page reads.
Every ministry figure is an aggregate query over these tables, then protected
(reports/privacy.py). Next to each count the tables carry the sum of the record keys
(`RecordKey`) of the students it counts (`key_sum`, or `key_change` beside `change`):
what the cell-key method derives a published count's noise from.

The tables carry no database foreign-key constraints (`db_constraint=False`) and no index
per foreign key (each table's key or unique constraint leads with what is looked up): they
are rebuilt from the evidence, Django still cascades deletions, and a set-based rebuild of
millions of rows does not wait for millions of triggers and index updates. The roll-ups
are keyed by their columns (a composite primary key): one index, no id.

Level reached: the highest proficiency level with at least one piece of evidence scoring
MASTERY_THRESHOLD (0.5) or more; 0 means "evidence, but no level reached yet".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .fields import ListField

MASTERY_THRESHOLD = 0.5  # a piece of evidence at a level counts when it scores at least this


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


# ---------------------------------------------------------------------------------------
# What the tables repeat
# ---------------------------------------------------------------------------------------
class StudentCompetence(models.Model):
    """A row about one student's standing on one competence (internal, never reported)."""

    # whose mastery; not indexed on its own, each table's key leads with it
    student = derived_key(settings.AUTH_USER_MODEL, _("student"))
    # of which competence
    competence = derived_key("curricula.Competence", _("competence"))
    # the competence's framework, copied so reports filter without two joins
    framework = derived_key("curricula.CompetenceFramework", _("framework"))

    class Meta:
        abstract = True


class LevelChange(models.Model):
    """Net number of students (or competence results) who reached `level` in `month`: +1
    when one arrives at the level, -1 when one moves on from it. Summing the rows up to a
    month gives the distribution over levels as of that month."""

    # the framework of the competence(s) counted, copied from the competence
    framework = derived_key("curricula.CompetenceFramework", _("framework"))
    # first day of the month, in the platform's time zone
    month = models.DateField(_("month"))
    # the level arrived at or left; 0: assessed, nothing reached yet
    level = models.PositiveSmallIntegerField(_("level"))
    # arrivals minus departures
    change = models.IntegerField(_("change"))
    # the record keys of the students arriving minus those of the students leaving (a
    # row whose change nets to zero may still move the key sum, and is kept)
    key_change = models.BigIntegerField(_("key change"), default=0)

    class Meta:
        abstract = True


class TrackYear(models.Model):
    """The cohort dimensions a report filters by."""

    # the cohort's track: school, university or state scholarship
    track = models.CharField(_("track"), max_length=12)
    # the cohort's academic year, e.g. 2026-2027 (September starts it)
    academic_year = models.CharField(_("academic year"), max_length=9)

    class Meta:
        abstract = True


class KindTrackYear(TrackYear):
    """The cohort dimensions, and the kind of its institution."""

    # the institution's kind: school, university, scholarship programme
    kind = models.CharField(_("institution kind"), max_length=12)

    class Meta:
        abstract = True


# ---------------------------------------------------------------------------------------
# Per student (internal)
# ---------------------------------------------------------------------------------------
class RecordKey(models.Model):
    """A student's secret record key for the cell-key method (reports/privacy.py): drawn at
    random once, when the student is first counted, and never changed, shown or exported
    (no admin, no API, no file). Reports read only sums of keys, never a key."""

    # whose key; no database constraint and kept when the account is deleted, so the
    # memberships deleted with it still subtract the same key (rebuild_mastery drops it)
    student = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # uniform over 0 .. privacy.KEY_MODULUS - 1
    value = models.PositiveIntegerField(_("record key"))

    class Meta:
        verbose_name = _("record key")
        verbose_name_plural = _("record keys")

    def __str__(self) -> str:
        return f"{self.student_id}"


class MasteryRollup(StudentCompetence):
    """Where a student stands on one competence, recomputed whenever its evidence changes."""

    # the pair is the key: one index, no id column (a rebuild writes 16 million rows)
    pk = models.CompositePrimaryKey("student", "competence")
    level = models.PositiveSmallIntegerField(_("level reached"))  # 0: none reached yet
    evidence_count = models.PositiveIntegerField(_("evidence"))  # pieces of evidence standing
    average_score = models.FloatField(_("average score"))  # 0..1 over those pieces
    first_activity_at = models.DateTimeField(_("first activity"))  # oldest standing evidence
    last_activity_at = models.DateTimeField(_("last activity"))  # newest standing evidence
    # the steps: the months with evidence, in order (first day, platform time zone), and the
    # level reached by the end of each (never falling); in the row rather than a row per
    # month (30 million at 2,000,000 students, and an index to build again)
    step_months = ListField(_("months with evidence"), of="date")
    step_levels = ListField(_("level reached by each month's end"), of="smallint")

    class Meta:
        verbose_name = _("mastery roll-up")
        verbose_name_plural = _("mastery roll-ups")
        constraints = [
            models.CheckConstraint(condition=Q(evidence_count__gte=1), name="rollup_has_evidence"),
            models.CheckConstraint(
                condition=Q(average_score__gte=0, average_score__lte=1), name="rollup_score_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} · {self.competence_id} · L{self.level}"


# ---------------------------------------------------------------------------------------
# Per cohort (what an institution's report reads)
# ---------------------------------------------------------------------------------------
class InstitutionLevelChange(LevelChange, TrackYear):
    """How many of an institution's students in a track and year moved into / out of a level
    on the competences of a framework in a month: per-institution figures of a region read
    from here."""

    # the cohorts' institution
    institution = derived_key("people.Institution", _("institution"))

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


class CohortEnrolment(models.Model):
    """How many students a cohort has now; moved by every student membership change."""

    cohort = derived_key("people.Cohort", _("cohort"))  # which cohort
    students = models.IntegerField(_("students"))  # student memberships in it
    key_sum = models.BigIntegerField(_("key sum"), default=0)  # their record keys, summed

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
    key_sum = models.BigIntegerField(_("key sum"), default=0)  # their record keys, summed

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

    # whose students; looked up through the unique index, which leads with it
    cohort = derived_key("people.Cohort", _("cohort"))
    month = models.DateField(_("month"))  # first day of the month
    students = models.IntegerField(_("active students"))  # distinct students with evidence
    key_sum = models.BigIntegerField(_("key sum"), default=0)  # their record keys, summed

    class Meta:
        verbose_name = _("cohort monthly activity")
        verbose_name_plural = _("cohort monthly activity")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "month"], name="cohortactivity_unique"),
        ]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.cohort_id} · {self.month:%Y-%m} · {self.students}"


# ---------------------------------------------------------------------------------------
# Per region, institution kind, track and year (what a country's or region's report reads)
# ---------------------------------------------------------------------------------------
class MasteryCube(LevelChange, KindTrackYear):
    """The students' level changes summed by their cohort's region, institution kind, track
    and academic year: what a region's figures per competence and month read. Summed once
    more for the country (RegionLevelChange, CountryCompetenceChange). Derived again from
    the roll-ups' steps when a cohort or an institution changes."""

    # the institution's region or city (a city is summed into its region when read)
    region = derived_key("people.Region", _("region"))
    # which competence
    competence = derived_key("curricula.Competence", _("competence"))

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


class RegionLevelChange(LevelChange, KindTrackYear):
    """MasteryCube summed over the competences of a framework: the country's levels by
    region, institution kind and track, and its monthly trend, from a few thousand rows
    (the cube itself has a row per competence too, which a country-wide page need not read)."""

    # the institution's region or city, as in the cube
    region = derived_key("people.Region", _("region"))

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


class CountryCompetenceChange(LevelChange, KindTrackYear):
    """MasteryCube summed over regions: the country's levels per competence by institution
    kind and track, from a few thousand rows."""

    # which competence
    competence = derived_key("curricula.Competence", _("competence"))

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


class RegionMonthlyActivity(KindTrackYear):
    """CohortMonthlyActivity summed by the cohort's region, institution kind, track and
    academic year: the monthly trend of active students country- and region-wide."""

    # the institution's region or city, as in the cube
    region = derived_key("people.Region", _("region"))
    # first day of the month
    month = models.DateField(_("month"))
    # active students, summed over the cohorts
    students = models.IntegerField(_("active students"))
    # their record keys, summed likewise
    key_sum = models.BigIntegerField(_("key sum"), default=0)

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


class RegionEnrolment(KindTrackYear):
    """CohortEnrolment summed by the cohort's region, institution kind, track and academic
    year: the country's students enrolled without a row per cohort."""

    # the institution's region or city, as in the cube
    region = derived_key("people.Region", _("region"))
    # student memberships in those cohorts
    students = models.IntegerField(_("students"))
    # their record keys, summed likewise
    key_sum = models.BigIntegerField(_("key sum"), default=0)

    class Meta:
        verbose_name = _("region enrolment")
        verbose_name_plural = _("region enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "track", "academic_year"],
                name="regionenrolment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} · {self.kind} · {self.track} · {self.students}"


class RegionMonthlyCompletion(KindTrackYear):
    """CohortMonthlyCompletion summed by the cohort's region, institution kind, track and
    academic year: the country's course completions without a row per cohort."""

    # the institution's region or city, as in the cube
    region = derived_key("people.Region", _("region"))
    # first day of the month
    month = models.DateField(_("month"))
    # students whose first completed course falls in that month
    students = models.IntegerField(_("students"))
    # their record keys, summed likewise
    key_sum = models.BigIntegerField(_("key sum"), default=0)

    class Meta:
        verbose_name = _("region monthly completion")
        verbose_name_plural = _("region monthly completions")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "track", "academic_year", "month"],
                name="regioncompletion_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} · {self.kind} · {self.track} · {self.month:%Y-%m}"
