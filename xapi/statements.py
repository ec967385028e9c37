"""Pure builders of xAPI 1.0.3 statements (no database, no settings read here).

The shape Ralph validates (ralph.models.xapi.base.statements.BaseXapiStatement): an Agent
identified by an account (homePage + name) and never by e-mail, ADL verbs with a display,
Activities whose ids are IRIs under the platform's home page with a definition (type and a
language map of names), scores with scaled in [-1, 1] and min <= raw <= max.
https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Data.md#statements
"""

from __future__ import annotations

import uuid
from datetime import datetime

VERSION = "1.0.3"


class Verb:
    """ADL's verbs (http://adlnet.gov/expapi/verbs/), with their English display."""

    EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"  # lesson viewed
    ANSWERED = "http://adlnet.gov/expapi/verbs/answered"  # quiz question answered
    ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"  # exercise submitted
    SCORED = "http://adlnet.gov/expapi/verbs/scored"  # exercise graded
    COMPLETED = "http://adlnet.gov/expapi/verbs/completed"  # course completed


class ActivityType:
    """ADL's activity types (http://adlnet.gov/expapi/activities/)."""

    COURSE = "http://adlnet.gov/expapi/activities/course"
    LESSON = "http://adlnet.gov/expapi/activities/lesson"
    QUESTION = "http://adlnet.gov/expapi/activities/question"
    ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"  # a notebook exercise


def _display(verb: str) -> dict:
    return {"en-US": verb.rsplit("/", 1)[-1]}


def _base(home_page: str) -> str:
    return home_page.rstrip("/")


def actor(*, home_page: str, account_name: str) -> dict:
    """The student as an account on the platform (name: an opaque, stable id)."""
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": account_name}}


def activity_id(home_page: str, *parts: object) -> str:
    """An IRI under the home page: <home>/xapi/activities/lesson/12 and the like. Built from
    the pages' and exercises' ids, not their URLs, so moving a page keeps its records."""
    return "/".join([_base(home_page), "xapi", "activities", *(str(p) for p in parts)])


def extension_id(home_page: str, name: str) -> str:
    return f"{_base(home_page)}/xapi/extensions/{name}"


def activity(*, id: str, type: str, name: str, language: str) -> dict:
    return {
        "objectType": "Activity",
        "id": id,
        "definition": {"type": type, "name": {language or "en": name[:500] or id}},
    }


def statement(
    *,
    actor: dict,
    verb: str,
    object: dict,
    timestamp: datetime,
    result: dict | None = None,
    context: dict | None = None,
) -> dict:
    """A complete statement with a new id; stored as it is and sent as it is, every time."""
    data = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb, "display": _display(verb)},
        "object": object,
        "timestamp": timestamp.isoformat(),
        "version": VERSION,
    }
    if result is not None:
        data["result"] = result
    if context is not None:
        data["context"] = context
    return data


def score(*, raw: float | None, maximum: float | None) -> dict:
    """An xAPI score: min 0, raw clamped into [0, maximum], scaled = raw / maximum."""
    top = float(maximum) if maximum and maximum > 0 else 0.0
    points = min(max(float(raw or 0), 0.0), top)
    return {"scaled": round(points / top, 4) if top else 0.0, "raw": points, "min": 0.0, "max": top}


def context(
    *, platform: str, language: str, parents: list[dict] = (), groups: list[dict] = ()
) -> dict:
    """The course (grouping) and the enclosing lesson or course (parent) of an activity."""
    data: dict = {"platform": platform[:100]}
    if language:
        data["language"] = language
    activities = {}
    if parents:
        activities["parent"] = list(parents)
    if groups:
        activities["grouping"] = list(groups)
    if activities:
        data["contextActivities"] = activities
    return data
