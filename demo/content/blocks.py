"""The building blocks of the demo's lesson content: StreamField blocks (paragraphs,
headings, code, callouts, formulas), quiz questions and texts in the three languages.
Quiz questions are tagged with DigComp 2.2 or UNESCO AI-for-students competences:
(framework slug, competence code, level)."""

from __future__ import annotations

DIGCOMP = "digcomp-2-2"
UNESCO = "unesco-ai-students"


def p(*paragraphs: str) -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{text}</p>"} for text in paragraphs]


def h(text: str) -> dict:
    return {"type": "heading", "value": {"text": text, "level": "h2"}}


def code(source: str, caption: str = "", language: str = "python") -> dict:
    return {"type": "code", "value": {"language": language, "code": source, "caption": caption}}


def tip(text: str, kind: str = "tip") -> dict:
    return {"type": "callout", "value": {"kind": kind, "text": f"<p>{text}</p>"}}


def formula(latex: str, caption: str = "") -> dict:
    return {"type": "formula", "value": {"latex": latex, "caption": caption}}


def single(prompt, choices, correct, competence, explanation="") -> dict:
    return {
        "kind": "single",
        "prompt": prompt,
        "choices": choices,
        "correct": [correct],
        "competence": competence,
        "explanation": explanation,
    }


def multiple(prompt, choices, correct, competence, explanation="") -> dict:
    return {
        "kind": "multiple",
        "prompt": prompt,
        "choices": choices,
        "correct": correct,
        "competence": competence,
        "explanation": explanation,
    }


def numeric(prompt, answer, tolerance, competence, explanation="") -> dict:
    return {
        "kind": "numeric",
        "prompt": prompt,
        "answer": answer,
        "tolerance": tolerance,
        "competence": competence,
        "explanation": explanation,
    }


def names(en: str, az: str, ru: str) -> dict[str, str]:
    return {"en": en, "az": az, "ru": ru}
