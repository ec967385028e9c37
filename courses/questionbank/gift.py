"""GIFT (https://docs.moodle.org/en/GIFT_format), the plain-text question format Moodle
imports and exports. No maintained Python reader of it exists, so this one follows
Moodle's documentation: questions apart by blank lines, `//` comments, `::title::`,
`[html]`-style format markers, an answer block in braces (text after the block makes a
missing-word question), `=` right and `~` wrong answers with `%weight%`, `#` feedback,
`####` general feedback, `{T}`/`{F}`, `{#value:tolerance}` and `{#min..max}`, and the
escapes `\\~ \\= \\# \\{ \\} \\: \\\\ \\n`."""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _

from ..quiz import MULTIPLE, NUMERIC, SHORT, SINGLE
from .model import (
    ImportedChoice,
    ImportedQuestion,
    QuestionBank,
    QuestionBankError,
    SkippedQuestion,
    cut,
    has_image,
    plain_text,
)

# Escaped characters become private-use placeholders while the structure is read, and
# the characters again in the texts.
_ESCAPES = {
    "~": "\ue001",
    "=": "\ue002",
    "#": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    ":": "\ue006",
}
_ESCAPES["\\"] = "\ue007"
_RESTORE = {placeholder: char for char, placeholder in _ESCAPES.items()}
_TITLE = re.compile(r"^\s*::(.*?)::", re.DOTALL)
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = re.compile(r"^(T|TRUE|F|FALSE)\s*(#.*)?$", re.IGNORECASE | re.DOTALL)


def _protect(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if following in _ESCAPES:
                out.append(_ESCAPES[following])
                i += 2
                continue
            if following == "n":
                out.append("\n")
                i += 2
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(char, char) for char in text)


def _chunks(source: str) -> list[str]:
    """Questions and category lines, in order (comments dropped)."""
    chunks, current = [], []
    for line in source.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if current:
                chunks.append("\n".join(current))
                current = []
            continue
        if stripped.upper().startswith("$CATEGORY:") and not current:
            chunks.append(stripped)
            continue
        current.append(line)
    if current:
        chunks.append("\n".join(current))
    return chunks


def read(data: bytes) -> QuestionBank:
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QuestionBankError(_("A GIFT file must be UTF-8 text.")) from None
    questions, skipped, categories = [], [], []
    number = 0
    for chunk in _chunks(_protect(source)):
        if chunk.upper().startswith("$CATEGORY:"):
            categories.append(_restore(chunk.split(":", 1)[1].strip()))
            continue
        number += 1
        question = _question(chunk, number)
        (skipped if isinstance(question, SkippedQuestion) else questions).append(question)
    if not number:
        raise QuestionBankError(_("No question was found in the file."))
    return QuestionBank(
        format="gift",
        questions=tuple(questions),
        skipped=tuple(skipped),
        categories=tuple(categories),
    )


def _question(chunk: str, number: int):
    name = ""
    title = _TITLE.match(chunk)
    if title:
        name = plain_text(_restore(title.group(1)), is_html=False)
        chunk = chunk[title.end() :]
    is_html = False
    marker = _FORMAT.match(chunk)
    if marker:
        is_html = marker.group(1).lower() in ("html", "moodle")
        chunk = chunk[marker.end() :]
    start = chunk.find("{")
    end = chunk.find("}", start + 1) if start >= 0 else -1
    if start < 0:
        return SkippedQuestion(number, name, _("A description, not a question."))
    if end < 0:
        return SkippedQuestion(number, name, _("The answer block has no closing “}”."))
    before, block, after = chunk[:start], chunk[start + 1 : end], chunk[end + 1 :]
    if "{" in after:
        return SkippedQuestion(
            number,
            name,
            _("Questions with several answer blocks (embedded answers) are not supported."),
        )
    raw_prompt = _restore(before.strip() + (" _____ " + after.strip() if after.strip() else ""))
    prompt = plain_text(raw_prompt, is_html=is_html)
    if not prompt:
        return SkippedQuestion(number, name, _("The question has no text."))
    notes = [_("The question's images were not imported.")] if has_image(raw_prompt) else []
    block, _sep, general = block.partition("####")
    explanation = plain_text(_restore(general), is_html=is_html)
    block = block.strip()
    common = {"number": number, "name": name, "prompt": prompt, "explanation": explanation}
    if not block:
        return SkippedQuestion(number, name, _("Essay questions are not supported."))
    true_false = _TRUE_FALSE.match(block)
    if true_false:
        truth = true_false.group(1).upper().startswith("T")
        if true_false.group(2):
            notes.append(_("Feedback for single answers was not imported (the explanation was)."))
        return ImportedQuestion(
            kind=SINGLE,
            choices=(ImportedChoice(_("True"), truth), ImportedChoice(_("False"), not truth)),
            notes=tuple(notes),
            source_kind="truefalse",
            **common,
        )
    if block.startswith("#"):
        return _numeric(block[1:].strip(), notes=notes, **common)
    return _choices(block, notes=notes, is_html=is_html, **common)


def _answers(block: str) -> list[tuple[str, float | None, str, str]]:
    """(marker "=" or "~", weight or None, text, feedback) of each answer."""
    answers = []
    for match in re.finditer(r"([=~])([^=~]*)", block):
        marker, body = match.group(1), match.group(2)
        weight = None
        found = _WEIGHT.match(body.strip())
        if found:
            weight = float(found.group(1))
            body = body.strip()[found.end() :]
        text, _sep, feedback = body.partition("#")
        answers.append((marker, weight, text.strip(), feedback.strip()))
    return answers


def _number(text: str) -> float | None:
    try:
        value = float(_restore(text).strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _numeric(body: str, *, notes: list, number: int, name: str, **common):
    specs = []
    if body.startswith("=") or body.startswith("~"):
        for marker, weight, text, _feedback in _answers(body):
            if marker == "=" and (weight is None or weight >= 100):
                specs.append(text)
        if len(specs) > 1 or "%" in body:
            notes.append(_("Only the first full-credit number is kept."))
    else:
        specs.append(body.partition("#")[0].strip())
    if not specs:
        return SkippedQuestion(number, name, _("No full-credit number is given."))
    spec = specs[0]
    if ".." in spec:
        low, _sep, high = spec.partition("..")
        low_value, high_value = _number(low), _number(high)
        if low_value is None or high_value is None or high_value < low_value:
            return SkippedQuestion(
                number,
                name,
                _("“%(value)s” is not a range of numbers.") % {"value": _restore(spec)[:40]},
            )
        answer, tolerance = (low_value + high_value) / 2, (high_value - low_value) / 2
    else:
        value, _sep, tol = spec.partition(":")
        answer, tolerance = _number(value), _number(tol) if tol.strip() else 0.0
        if answer is None or tolerance is None:
            return SkippedQuestion(
                number, name, _("“%(value)s” is not a number.") % {"value": _restore(spec)[:40]}
            )
    return ImportedQuestion(
        kind=NUMERIC,
        answer=answer,
        tolerance=abs(tolerance),
        notes=tuple(notes),
        source_kind="numerical",
        number=number,
        name=name,
        **common,
    )


def _choices(block: str, *, notes: list, is_html: bool, number: int, name: str, **common):
    answers = _answers(block)
    if not answers:
        return SkippedQuestion(
            number, name, _("The answer block has no answer marked with = or ~.")
        )
    if any("->" in text for _marker, _weight, text, _feedback in answers):
        return SkippedQuestion(number, name, _("Matching questions are not supported."))
    if any(feedback for *_rest, feedback in answers):
        notes.append(_("Feedback for single answers was not imported (the explanation was)."))
    texts, long_text = [], False
    for _marker, _weight, text, _feedback in answers:
        shown, was_cut = cut(plain_text(_restore(text), is_html=is_html))
        texts.append(shown)
        long_text |= was_cut
    if long_text:
        notes.append(_("Answers longer than 300 characters were shortened."))
    common.update(number=number, name=name)
    if all(marker == "=" for marker, *_rest in answers):  # only right answers: short answer
        accepted = [
            t
            for (m, w, _t, _f), t in zip(answers, texts, strict=True)
            if (w is None or w >= 100) and t
        ]
        if len(accepted) < len(answers):
            notes.append(_("Answers with partial credit were left out."))
        return ImportedQuestion(
            kind=SHORT,
            choices=tuple(ImportedChoice(t, True) for t in accepted),
            notes=tuple(notes),
            source_kind="shortanswer",
            **common,
        )
    weighted = any(weight is not None for _marker, weight, *_rest in answers)
    correct = [
        (marker == "=" and (weight is None or weight > 0)) or (weight is not None and weight > 0)
        for marker, weight, *_rest in answers
    ]
    kind = MULTIPLE if weighted and sum(correct) > 1 else SINGLE
    if sum(correct) > 1 and not weighted:
        kind = MULTIPLE
    if weighted and any(w is not None and 0 < w < 100 for _m, w, *_r in answers):
        if kind == SINGLE:
            notes.append(_("Partial credit is not kept: only the full-credit answer is right."))
            correct = [
                (marker == "=" and (weight is None or weight >= 100))
                or (weight is not None and weight >= 100)
                for marker, weight, *_rest in answers
            ]
        else:
            notes.append(_("Every answer with credit must be ticked for the question to be right."))
    return ImportedQuestion(
        kind=kind,
        choices=tuple(ImportedChoice(t, c) for t, c in zip(texts, correct, strict=True)),
        notes=tuple(notes),
        source_kind="multichoice",
        **common,
    )
