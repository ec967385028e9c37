"""The one announcement evidence makes: a batch was replaced, after its transaction
committed. Sent once per `evidence_replace` call, never per row, never inside the writer's
transaction; a receiver (the reports' roll-ups) queues its own work and returns."""

from django.dispatch import Signal

# sender=CompetenceEvidence, student_id=<int>, competence_ids=<frozenset[int]>: every
# competence whose evidence for that student changed (rows removed or written).
evidence_replaced = Signal()
