"""What a question bank file was understood as."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import bleach

from ..quiz import MULTIPLE, NUMERIC, SHORT, SINGLE, question_problems

KINDS = (SINGLE, MULTIPLE, NUMERIC, SHORT)
# The quiz block's limits (courses/blocks.py): longer texts are cut, with a note.
CHOICE_MAX_CHARS = 300


class QuestionBankError(ValueError):
    """The file as a whole cannot be read (not XML, not GIFT, too big, no question)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportedChoice:
    text: str
    correct: bool


@dataclass(frozen=True)
class ImportedQuestion:
    number: int  # position in the file, counting skipped ones, from 1
    name: str  # the bank's own name of the question (may be empty)
    kind: str  # one of KINDS
    prompt: str
    choices: tuple[ImportedChoice, ...] = ()
    answer: float | None = None  # numeric questions
    tolerance: float = 0.0  # numeric questions
    explanation: str = ""
    notes: tuple[str, ...] = ()  # what was changed on the way in (partial credit, images, ...)
    source_kind: str = ""  # the bank's type: "truefalse", "multichoice", ...

    def problems(self) -> list[str]:
        return question_problems(
            kind=self.kind,
            correct_flags=[choice.correct for choice in self.choices],
            answer=self.answer,
        )

    def block_value(self, *, competence_id: int, level: int) -> dict:
        """The stored value of a QuizQuestionBlock (courses/blocks.py)."""
        return {
            "kind": self.kind,
            "prompt": self.prompt,
            "choices": [{"text": c.text, "correct": c.correct} for c in self.choices],
            "answer": self.answer,
            "tolerance": self.tolerance,
            "competence": str(competence_id),
            "level": level,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class SkippedQuestion:
    number: int
    name: str
    reason: str


@dataclass(frozen=True)
class QuestionBank:
    format: str  # "moodle-xml" or "gift"
    questions: tuple[ImportedQuestion, ...] = ()
    skipped: tuple[SkippedQuestion, ...] = ()
    categories: tuple[str, ...] = field(default=())


_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/h[1-6]|/tr)\s*>")


def plain_text(text: str, *, is_html: bool) -> str:
    """A prompt or answer as the quiz shows it: plain text with line breaks (the quiz
    escapes what it shows; HTML from another platform is reduced to its words)."""
    if is_html:
        text = _BLOCK_END.sub("\n", text)
        text = bleach.clean(text, tags=set(), attributes={}, strip=True, strip_comments=True)
        text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    paragraphs, blank = [], False
    for line in lines:
        if line:
            if blank and paragraphs:
                paragraphs.append("")
            paragraphs.append(line)
            blank = False
        else:
            blank = True
    return "\n".join(paragraphs).strip()


def has_image(text: str) -> bool:
    return bool(re.search(r"(?i)<\s*img\b|@@PLUGINFILE@@", text))


def cut(text: str, limit: int = CHOICE_MAX_CHARS) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[: limit - 1] + "…", True)
