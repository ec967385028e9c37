"""Quizzes read from a lesson's stored body, and answers checked against them.

Pure functions over the StreamField's raw JSON (no database): the lesson page, the
services that record answers and the publish checks all read quizzes the same way. The
student's view of a question (`PublicQuestion`) carries no correct flag and no number,
so a template cannot leak what it is never given.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

SINGLE, MULTIPLE, NUMERIC, SHORT = "single", "multiple", "numeric", "short"
# A short answer is a few words typed by the student, compared with the accepted answers.
SHORT_ANSWER_MAX_CHARS = 200

# When a question's explanation is shown (an explanation may give the answer away, so
# never while the student may still try and has not found it):
EXPLAIN_AFTER_RIGHT = "right"  # after a right answer, or once no attempts are left
EXPLAIN_AFTER_LAST = "last"  # only once no attempts are left (needs a limit)
# Checks a question allows when its quiz says nothing (saved before the setting existed);
# the quiz block offers the same default to the editor.
DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    correct: bool


@dataclass(frozen=True)
class Question:
    id: str
    quiz_id: str
    number: int  # 1, 2, ... within its quiz
    kind: str
    prompt: str
    choices: tuple[Choice, ...]
    answer: float | None
    tolerance: float
    competence_id: int | None
    level: int
    explanation: str

    def public(self) -> PublicQuestion:
        return PublicQuestion(
            id=self.id,
            number=self.number,
            kind=self.kind,
            prompt=self.prompt,
            # a short answer's "choices" are its accepted answers: never on the page
            choices=() if self.kind == SHORT else tuple((c.id, c.text) for c in self.choices),
        )


@dataclass(frozen=True)
class PublicQuestion:
    """What a student's browser may see of a question."""

    id: str
    number: int
    kind: str
    prompt: str
    choices: tuple[tuple[str, str], ...]  # (choice id, text)


@dataclass(frozen=True)
class Quiz:
    id: str
    title: str
    pass_percent: int
    questions: tuple[Question, ...]
    max_attempts: int | None = DEFAULT_MAX_ATTEMPTS  # checks per question; None: no limit
    explanations: str = EXPLAIN_AFTER_RIGHT

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def attempts_left(self, used: int) -> int | None:
        """Checks a question has left after `used` of them (None: no limit)."""
        return None if self.max_attempts is None else max(self.max_attempts - used, 0)

    def may_explain(self, *, used: int, answered_right: bool) -> bool:
        """Whether a student who checked a question `used` times may read its explanation."""
        if used == 0:
            return False
        if self.attempts_left(used) == 0:
            return True
        return self.explanations == EXPLAIN_AFTER_RIGHT and answered_right


class AnswerError(ValueError):
    """An answer that cannot be checked (not a number, a choice that does not exist)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _items(raw_list) -> list[tuple[str, dict]]:
    """(id, value) of a ListBlock's stored items; old-style lists have no ids."""
    items = []
    for index, item in enumerate(raw_list or []):
        if isinstance(item, dict) and item.get("type") == "item" and "value" in item:
            items.append((str(item.get("id") or index), item["value"] or {}))
        else:
            items.append((str(index), item or {}))
    return items


def _float(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def quizzes_in(body_raw) -> list[Quiz]:
    """Every quiz block of a lesson body, in order, with its questions."""
    quizzes = []
    for block in body_raw or []:
        if not isinstance(block, dict) or block.get("type") != "quiz":
            continue
        value = block.get("value") or {}
        quiz_id = str(block.get("id") or "")
        questions = []
        for number, (question_id, q) in enumerate(_items(value.get("questions")), start=1):
            questions.append(
                Question(
                    id=question_id,
                    quiz_id=quiz_id,
                    number=number,
                    kind=q.get("kind") or SINGLE,
                    prompt=q.get("prompt") or "",
                    choices=tuple(
                        Choice(
                            id=choice_id, text=c.get("text") or "", correct=bool(c.get("correct"))
                        )
                        for choice_id, c in _items(q.get("choices"))
                    ),
                    answer=_float(q.get("answer")),
                    tolerance=abs(_float(q.get("tolerance")) or 0.0),
                    competence_id=_int(q.get("competence")),
                    level=max(_int(q.get("level")) or 1, 1),
                    explanation=q.get("explanation") or "",
                )
            )
        quizzes.append(
            Quiz(
                id=quiz_id,
                title=value.get("title") or "",
                pass_percent=min(max(_int(value.get("pass_percent")) or 60, 1), 100),
                questions=tuple(questions),
                max_attempts=_max_attempts(value),
                explanations=(
                    EXPLAIN_AFTER_LAST
                    if value.get("explanations") == EXPLAIN_AFTER_LAST
                    else EXPLAIN_AFTER_RIGHT
                ),
            )
        )
    return quizzes


def _max_attempts(value: dict) -> int | None:
    """A missing setting is the default; an empty one (None) is no limit."""
    if "max_attempts" not in value:
        return DEFAULT_MAX_ATTEMPTS
    if value["max_attempts"] in (None, ""):
        return None
    return max(_int(value["max_attempts"]) or 1, 1)


def exercise_ids_in(body_raw) -> list[int]:
    """The notebook exercises a lesson body embeds."""
    ids = []
    for block in body_raw or []:
        if isinstance(block, dict) and block.get("type") == "exercise":
            exercise_id = _int((block.get("value") or {}).get("exercise"))
            if exercise_id is not None:
                ids.append(exercise_id)
    return ids


def question_problems(*, kind: str, correct_flags: list[bool], answer) -> list[str]:
    """Why a question cannot be answered correctly, as the author should read it."""
    if kind == NUMERIC:
        return [] if _float(answer) is not None else [_("Give the correct number.")]
    if kind == SHORT:
        return [] if any(correct_flags) else [_("Give at least one accepted answer (ticked).")]
    problems = []
    if len(correct_flags) < 2:
        problems.append(_("Give at least two choices."))
    correct = sum(correct_flags)
    if correct == 0:
        problems.append(_("Tick the correct answer."))
    elif kind == SINGLE and correct > 1:
        problems.append(
            _("A single-choice question has exactly one correct answer; tick only one.")
        )
    return problems


def parse_answer(question: Question, values: list[str]) -> list:
    """The stored form of a student's answer: choice ids, or [number]."""
    values = [v.strip() for v in values if v is not None and v.strip() != ""]
    if not values:  # left blank: not answered (the quiz form sends every question)
        return []
    if question.kind == NUMERIC:
        if len(values) != 1:
            raise AnswerError(_("Enter one number."))
        number = _float(values[0].replace(",", ".").replace(" ", ""))
        if number is None:
            raise AnswerError(_("“%(value)s” is not a number.") % {"value": values[0][:40]})
        return [number]
    if question.kind == SHORT:
        if len(values) != 1:
            raise AnswerError(_("Type your answer."))
        if len(values[0]) > SHORT_ANSWER_MAX_CHARS:
            raise AnswerError(
                _("Answer in at most %(limit)d characters.") % {"limit": SHORT_ANSWER_MAX_CHARS}
            )
        return [values[0]]
    known = {c.id for c in question.choices}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise AnswerError(_("That choice is not part of the question (any more); reload the page."))
    if question.kind == SINGLE and len(values) > 1:
        raise AnswerError(_("Choose one answer only."))
    return sorted(set(values))


def is_correct(question: Question, answer: list) -> bool:
    if question.kind == NUMERIC:
        if question.answer is None or not answer:
            return False
        return abs(float(answer[0]) - question.answer) <= question.tolerance + 1e-9
    if question.kind == SHORT:
        return bool(answer) and any(
            short_answer_matches(c.text, str(answer[0])) for c in question.choices if c.correct
        )
    correct = {c.id for c in question.choices if c.correct}
    return bool(correct) and set(answer) == correct


def _normalized(text: str) -> str:
    """Case, width and spacing do not make a short answer wrong."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def short_answer_matches(accepted: str, typed: str) -> bool:
    """Whether a typed short answer is the accepted one; `*` in the accepted answer stands
    for any text (as in Moodle's short-answer questions)."""
    accepted, typed = _normalized(accepted), _normalized(typed)
    if "*" not in accepted:
        return accepted == typed
    pattern = ".*".join(re.escape(part) for part in accepted.split("*"))
    return re.fullmatch(pattern, typed, flags=re.DOTALL) is not None
