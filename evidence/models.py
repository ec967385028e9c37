"""Competence evidence: what a student's answers show about their competences.

Below courses and grading, above curricula and people. Courses (quiz answers) and grading
(graded notebook cells) write it through `evidence.services.evidence_replace`; the skill
profile and the ministry's roll-ups read it. It knows nothing of lessons or submissions:
where a row comes from is its `source_key`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from curricula.models import Competence


class EvidenceSource(models.TextChoices):
    QUIZ = "quiz", _("Quiz question")
    EXERCISE = "exercise", _("Notebook exercise")


class CompetenceEvidence(models.Model):
    """One piece of evidence for a student's competence, keyed by where it comes from.

    A quiz question or a graded notebook cell gives one row per competence it is tagged
    with. Answering the question again, or a regrade, replaces the rows with the same
    `source_key` instead of adding some, so nothing is counted twice.
    """

    Source = EvidenceSource

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="competence_evidence",
    )  # whose competence
    competence = models.ForeignKey(
        Competence, verbose_name=_("competence"), on_delete=models.CASCADE, related_name="+"
    )  # which competence it is evidence for
    level = models.PositiveSmallIntegerField(_("level"))  # the proficiency level the item shows
    source = models.CharField(
        _("source"), max_length=10, choices=EvidenceSource.choices
    )  # kind of item
    source_key = models.CharField(
        _("source key"), max_length=200
    )  # "quiz:<lesson id>:<question id>" or "exercise:<exercise id>:<grade id>"
    score = models.FloatField(_("score"))  # 0..1: right or wrong, or the cell's share of points
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)  # last replaced

    class Meta:
        verbose_name = _("competence evidence")
        verbose_name_plural = _("competence evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "source_key", "competence"], name="evidence_unique_source"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="evidence_score_0_1"
            ),
            models.CheckConstraint(condition=Q(level__gte=1), name="evidence_level_gte_1"),
        ]
        indexes = [
            models.Index(fields=["student", "competence"]),
            models.Index(fields=["recorded_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.competence_id} · {self.source_key}"
