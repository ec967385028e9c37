"""Which reader a file needs, and the limits every file meets."""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import gift, moodle_xml
from .model import QuestionBank, QuestionBankError, SkippedQuestion

# A bank of a few hundred questions is well under a megabyte; more is not a question bank.
MAX_BYTES = 5 * 1024 * 1024
MAX_QUESTIONS = 500


def question_bank_read(data: bytes, *, filename: str = "") -> QuestionBank:
    """Moodle XML or GIFT, by the file's content (the name is only a hint)."""
    if len(data) > MAX_BYTES:
        raise QuestionBankError(
            _("The file is larger than %(limit)d MB.") % {"limit": MAX_BYTES // (1024 * 1024)}
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    looks_xml = head.startswith(b"<?xml") or head.startswith(b"<quiz")
    if looks_xml or filename.lower().endswith(".xml"):
        bank = moodle_xml.read(data)
    else:
        bank = gift.read(data)
    total = len(bank.questions) + len(bank.skipped)
    if total == 0:
        raise QuestionBankError(_("No question was found in the file."))
    if total > MAX_QUESTIONS:
        raise QuestionBankError(
            _("The file has %(count)d questions; import at most %(limit)d at a time.")
            % {"count": total, "limit": MAX_QUESTIONS}
        )
    return _usable(bank)


def _usable(bank: QuestionBank) -> QuestionBank:
    """A question the quiz could never mark right (one choice, nothing correct) is skipped
    with the quiz editor's own reason."""
    questions, skipped = [], list(bank.skipped)
    for question in bank.questions:
        problems = question.problems()
        if problems:
            skipped.append(SkippedQuestion(question.number, question.name, " ".join(problems)))
        else:
            questions.append(question)
    skipped.sort(key=lambda s: s.number)
    return QuestionBank(
        format=bank.format,
        questions=tuple(questions),
        skipped=tuple(skipped),
        categories=bank.categories,
    )
