"""The only writer of competence evidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from curricula.models import Competence

from .models import CompetenceEvidence, EvidenceSource
from .signals import evidence_replaced


@dataclass(frozen=True)
class EvidenceItem:
    """One item's evidence for one competence, as a batch hands it to `evidence_replace`."""

    source_key: str  # "quiz:<lesson id>:<question id>", "exercise:<exercise id>:<grade id>"
    competence_id: int  # the competence the item is tagged with
    level: int  # the proficiency level it shows (1 or more)
    score: float  # 0..1; clamped into that range


@dataclass(frozen=True)
class EvidenceScope:
    """Which of a student's evidence a batch replaces: the rows whose source key is one of
    `keys`, or starts with `prefix` (every cell of an exercise)."""

    source: str  # an EvidenceSource value
    keys: tuple[str, ...] = ()
    prefix: str = ""

    @classmethod
    def of_keys(cls, source: str, keys: Iterable[str]) -> EvidenceScope:
        return cls(source=source, keys=tuple(keys))

    @classmethod
    def under(cls, source: str, prefix: str) -> EvidenceScope:
        return cls(source=source, prefix=prefix)

    def rows(self, student_id: int):
        rows = CompetenceEvidence.objects.filter(student_id=student_id, source=self.source)
        if self.prefix:
            return rows.filter(source_key__startswith=self.prefix)
        return rows.filter(source_key__in=self.keys)


@transaction.atomic
def evidence_replace(
    *,
    student_id: int,
    scope: EvidenceScope,
    items: Iterable[EvidenceItem],
    recorded_at: datetime | None = None,
) -> list[CompetenceEvidence]:
    """Replace what `student_id` has in `scope` with `items`, in one batch.

    Items tagged with a competence that no longer exists are skipped. Once the
    transaction commits, `evidence_replaced` is sent once with every competence whose
    evidence changed, so roll-ups are refreshed once per batch. Running it twice with the
    same items leaves the same rows (and announces again, which a roll-up refresh
    tolerates: it recomputes from the rows)."""
    if scope.source not in EvidenceSource.values:
        raise ValueError(f"unknown evidence source {scope.source!r}")
    items = list(items)
    if scope.prefix:
        stray = [i.source_key for i in items if not i.source_key.startswith(scope.prefix)]
    else:
        stray = [i.source_key for i in items if i.source_key not in scope.keys]
    if stray:
        raise ValueError(f"evidence outside the replaced scope: {stray[:3]}")
    now = recorded_at or timezone.now()
    existing = scope.rows(student_id)
    changed = set(existing.values_list("competence_id", flat=True))
    existing.delete()
    known = set(
        Competence.objects.filter(pk__in={i.competence_id for i in items}).values_list(
            "pk", flat=True
        )
    )
    rows = CompetenceEvidence.objects.bulk_create(
        CompetenceEvidence(
            student_id=student_id,
            competence_id=item.competence_id,
            level=max(int(item.level), 1),
            source=scope.source,
            source_key=item.source_key,
            score=min(max(float(item.score), 0.0), 1.0),
            recorded_at=now,
        )
        for item in items
        if item.competence_id in known
    )
    changed |= {row.competence_id for row in rows}
    if changed:
        _announce_after_commit(student_id, changed)
    return rows


@transaction.atomic
def evidence_retract(*, scope: EvidenceScope) -> int:
    """Remove what every student has in `scope` (an exercise that was deleted, say): for
    each student whose evidence changed, one `evidence_replaced` after commit. Returns
    the rows removed."""
    if not scope.prefix:
        raise ValueError("retracting needs a source-key prefix")
    rows = CompetenceEvidence.objects.filter(
        source=scope.source, source_key__startswith=scope.prefix
    )
    changed: dict[int, set[int]] = {}
    for student_id, competence_id in rows.values_list("student_id", "competence_id"):
        changed.setdefault(student_id, set()).add(competence_id)
    removed, _by_model = rows.delete()
    for student_id, competences in changed.items():
        _announce_after_commit(student_id, competences)
    return removed


def _announce_after_commit(student_id: int, competence_ids: set[int]) -> None:
    """One `evidence_replaced` for a student's batch, once the transaction commits."""
    frozen = frozenset(competence_ids)
    transaction.on_commit(
        lambda: evidence_replaced.send(
            sender=CompetenceEvidence, student_id=student_id, competence_ids=frozen
        ),
        robust=True,
    )
