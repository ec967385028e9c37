"""Moodle XML (https://docs.moodle.org/en/Moodle_XML_format), as Moodle's question bank
exports it. Parsed with defusedxml: a file from elsewhere may declare entities (the
"billion laughs") or external ones (reading the server's files); both are refused."""

from __future__ import annotations

import math
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
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

SUPPORTED = ("multichoice", "truefalse", "numerical", "shortanswer")


def _text(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "") if found is not None else ""


def _is_html(element: Element | None) -> bool:
    return element is not None and (element.get("format") or "html") in (
        "html",
        "moodle_auto_format",
    )


def _rich(element: Element | None) -> str:
    return plain_text(_text(element), is_html=_is_html(element))


def _fraction(answer: Element) -> float:
    try:
        value = float(answer.get("fraction") or 0)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read(data: bytes) -> QuestionBank:
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException:
        raise QuestionBankError(
            _("The file declares XML entities, which a question bank never needs; it was not read.")
        ) from None
    except SafeET.ParseError as exc:
        raise QuestionBankError(
            _("This is not a well-formed XML file (%(error)s).") % {"error": exc}
        ) from None
    if root.tag != "quiz":
        raise QuestionBankError(
            _("This XML file is not a Moodle question bank: it should start with <quiz>.")
        )
    questions, skipped, categories = [], [], []
    number = 0
    for element in root.findall("question"):
        kind = (element.get("type") or "").strip()
        if kind == "category":
            category = _text(element.find("category")).strip()
            if category:
                categories.append(category)
            continue
        number += 1
        name = plain_text(_text(element.find("name")), is_html=False)
        if kind not in SUPPORTED:
            reason = (
                _("A description, not a question.")
                if kind == "description"
                else _(
                    "Moodle's “%(type)s” questions are not supported here (single and "
                    "multiple choice, true/false, numerical and short answer are)."
                )
                % {"type": kind or "?"}
            )
            skipped.append(SkippedQuestion(number, name, reason))
            continue
        question = _question(element, number=number, name=name, kind=kind)
        if isinstance(question, SkippedQuestion):
            skipped.append(question)
        else:
            questions.append(question)
    return QuestionBank(
        format="moodle-xml",
        questions=tuple(questions),
        skipped=tuple(skipped),
        categories=tuple(categories),
    )


def _question(element: Element, *, number: int, name: str, kind: str):
    prompt_element = element.find("questiontext")
    prompt = _rich(prompt_element)
    notes = []
    if has_image(_text(prompt_element)):
        notes.append(_("The question's images were not imported."))
    if not prompt:
        return SkippedQuestion(number, name, _("The question has no text."))
    explanation = _rich(element.find("generalfeedback"))
    answers = element.findall("answer")
    if any(_text(answer, "feedback/text").strip() for answer in answers):
        notes.append(_("Feedback for single answers was not imported (the explanation was)."))
    common = {
        "number": number,
        "name": name,
        "prompt": prompt,
        "explanation": explanation,
        "source_kind": kind,
    }
    if kind == "truefalse":
        right = next((a for a in answers if _fraction(a) >= 100), None)
        if right is None:
            return SkippedQuestion(number, name, _("Neither true nor false is marked right."))
        truth = _text(right).strip().lower() == "true"
        choices = (ImportedChoice(_("True"), truth), ImportedChoice(_("False"), not truth))
        return ImportedQuestion(kind=SINGLE, choices=choices, notes=tuple(notes), **common)
    if kind == "multichoice":
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        choices, partial, long_text = [], False, False
        for answer in answers:
            text, was_cut = cut(plain_text(_text(answer), is_html=_is_html(answer)))
            long_text |= was_cut
            fraction = _fraction(answer)
            correct = fraction >= 100 if single else fraction > 0
            partial |= 0 < fraction < 100 if single else False
            choices.append(ImportedChoice(text, correct))
        if partial:
            notes.append(_("Partial credit is not kept: only the full-credit answer is right."))
        if not single and any(0 < _fraction(a) < 100 for a in answers):
            notes.append(_("Every answer with credit must be ticked for the question to be right."))
        if long_text:
            notes.append(_("Answers longer than 300 characters were shortened."))
        return ImportedQuestion(
            kind=SINGLE if single else MULTIPLE,
            choices=tuple(choices),
            notes=tuple(notes),
            **common,
        )
    if kind == "numerical":
        full = [a for a in answers if _fraction(a) >= 100 and _text(a).strip() != "*"]
        if not full:
            return SkippedQuestion(number, name, _("No full-credit number is given."))
        value = _number(_text(full[0]))
        if value is None:
            return SkippedQuestion(
                number, name, _("“%(value)s” is not a number.") % {"value": _text(full[0])[:40]}
            )
        tolerance = _number(full[0].findtext("tolerance") or "0") or 0.0
        if len(full) > 1 or any(0 < _fraction(a) < 100 for a in answers):
            notes.append(_("Only the first full-credit number is kept."))
        if element.find("units/unit") is not None:
            notes.append(_("Units are not imported: students answer with the number only."))
        return ImportedQuestion(
            kind=NUMERIC, answer=value, tolerance=abs(tolerance), notes=tuple(notes), **common
        )
    # shortanswer
    accepted = [cut(plain_text(_text(a), is_html=False))[0] for a in answers if _fraction(a) >= 100]
    accepted = [text for text in accepted if text]
    if not accepted:
        return SkippedQuestion(number, name, _("No full-credit answer is given."))
    if any(0 < _fraction(a) < 100 for a in answers):
        notes.append(_("Answers with partial credit were left out."))
    if (element.findtext("usecase") or "0").strip() == "1":
        notes.append(_("Case is ignored when answers are compared."))
    return ImportedQuestion(
        kind=SHORT,
        choices=tuple(ImportedChoice(text, True) for text in accepted),
        notes=tuple(notes),
        **common,
    )
