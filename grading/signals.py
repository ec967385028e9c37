"""Signals other apps listen to (progress, competence evidence, mastery roll-ups).

`submission_graded` is sent inside the transaction that stores a submission's results, so
a receiver's writes commit or roll back with them. It is sent again when the submission is
regraded or graded by hand: receivers replace what they stored for that submission
(keyed by its id) instead of adding to it, so nothing is counted twice.
"""

from django.dispatch import Signal

submission_graded = Signal()  # sender=Submission class, submission=<Submission>
