"""Question banks from other platforms (Moodle XML and GIFT, the formats Moodle exports),
read into the lesson quiz's own kinds of question.

Pure: text in, `QuestionBank` out (no database, no Django models). Every question either
becomes an `ImportedQuestion` or a `SkippedQuestion` with the reason, so the author sees
what was understood and what was not before anything is saved.
"""

from .model import (
    ImportedChoice,
    ImportedQuestion,
    QuestionBank,
    QuestionBankError,
    SkippedQuestion,
)
from .read import question_bank_read

__all__ = [
    "ImportedChoice",
    "ImportedQuestion",
    "QuestionBank",
    "QuestionBankError",
    "SkippedQuestion",
    "question_bank_read",
]
