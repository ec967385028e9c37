"""The credentials app's section of the student's dashboard (people.sections), registered
in wagtail_hooks.py: my credentials, with their files and verification pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from people.sections import Section

from . import selectors


def my_credentials(request: HttpRequest, role: str) -> Section | None:
    if role != "student":
        return None
    credentials = selectors.student_credentials(user=request.user)
    rows = [{"credential": c, "revoked": c.revoked_at is not None} for c in credentials]
    return Section(render_to_string("credentials/_my_credentials.html", {"rows": rows}))
