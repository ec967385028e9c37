"""Posting Wagtail's page editor as a browser would: the rendered form's own fields, plus
the values a test sets (StreamField and ListBlock data in the editor's flat format)."""

from __future__ import annotations

from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, streamfield


def list_block(items: list) -> dict:
    """A ListBlock's form data: each item with its id, order and deleted flag."""
    data = {
        str(i): {"value": value, "deleted": "", "order": str(i), "id": ""}
        for i, value in enumerate(items)
    }
    data["count"] = str(len(items))
    return data


def choices(*items: tuple[str, bool]) -> dict:
    return list_block([{"text": text, "correct": "on" if ok else ""} for text, ok in items])


def question_data(prompt, *, competence, kind="single", items=(), answer="", level=1) -> dict:
    return {
        "kind": kind,
        "prompt": prompt,
        "choices": choices(*items),
        "answer": str(answer),
        "tolerance": "0",
        "competence": str(competence.pk),
        "level": str(level),
        "explanation": "",
    }


def quiz_data(
    *questions: dict, title: str = "Check yourself", max_attempts="3", explanations="right"
) -> dict:
    return {
        "title": title,
        "pass_percent": "60",
        "max_attempts": str(max_attempts),
        "explanations": explanations,
        "questions": list_block(list(questions)),
    }


def editor_data(client, url: str, fields: dict, body: list | None = None) -> dict:
    """The editor form at `url` as rendered, with `fields` and `body` (StreamField
    (block type, value) pairs) filled in."""
    html = client.get(url).content.decode()
    data = querydict_from_html(html, form_id="page-edit-form").dict()
    data = {key: value for key, value in data.items() if not key.startswith("body-")}
    data.update(fields)
    # the StreamField is drawn by the editor's JavaScript: its inputs are not in the HTML
    data.update(nested_form_data({"body": streamfield(body or [])}))
    return data


def add_url(app: str, model: str, parent) -> str:
    return reverse("wagtailadmin_pages:add", args=[app, model, parent.pk])


def edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])
