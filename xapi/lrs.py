"""The HTTP client of the Learning Record Store (xAPI 1.0.3 statements resource).

Only xapi.services talks to the LRS through this; other apps record statements through
xapi.services (an import-linter contract keeps it so). Any conformant LRS works: the
endpoint and the basic-auth account come from settings (XAPI_LRS_*).
https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#21-statement-resource
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

VERSION_HEADER = "X-Experience-API-Version"
VERSION = "1.0.3"


@dataclass(frozen=True)
class LrsAnswer:
    """What the LRS said to a request: status 0 when it could not be reached at all."""

    status: int
    reason: str = ""  # the LRS's own words for an error (or why it was not reached)
    body: object = None  # the decoded JSON of a successful answer

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def unreachable(self) -> bool:
        return self.status == 0


def statements_url() -> str:
    return settings.XAPI_LRS_ENDPOINT.rstrip("/") + "/statements"


def _headers() -> dict[str, str]:
    headers = {VERSION_HEADER: VERSION, "Accept": "application/json"}
    if settings.XAPI_LRS_USERNAME or settings.XAPI_LRS_PASSWORD:
        pair = f"{settings.XAPI_LRS_USERNAME}:{settings.XAPI_LRS_PASSWORD}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return headers


def _request(request: urllib.request.Request) -> LrsAnswer:
    try:
        with urllib.request.urlopen(  # noqa: S310 - the endpoint is the operator's setting
            request, timeout=settings.XAPI_LRS_TIMEOUT
        ) as response:
            return LrsAnswer(response.status, body=_json(response.read()))
    except urllib.error.HTTPError as exc:
        return LrsAnswer(exc.code, reason=_reason(exc))
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        # refused, reset, timed out, or an answer that is not HTTP: as good as down
        why = getattr(exc, "reason", exc)
        return LrsAnswer(0, reason=f"LRS not reachable at {request.full_url}: {why}")


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def _reason(exc: urllib.error.HTTPError) -> str:
    """`HTTP 400: <detail>` from the LRS's answer, its JSON `detail` or `message` if any."""
    try:
        text = exc.read().decode("utf-8", "replace")
    except OSError:
        text = ""
    detail = text
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            detail = data.get("detail") or data.get("message") or text
            if not isinstance(detail, str):
                detail = json.dumps(detail, ensure_ascii=False)
    except ValueError:
        pass
    return f"HTTP {exc.code}: {detail.strip()[:2000] or exc.reason}"


def statements_post(statements: list[dict]) -> LrsAnswer:
    """POST a list of complete statements (with their ids) in one request."""
    request = urllib.request.Request(  # noqa: S310 - the endpoint is the operator's setting
        statements_url(),
        data=json.dumps(statements, ensure_ascii=False).encode("utf-8"),
        headers={**_headers(), "Content-Type": "application/json"},
        method="POST",
    )
    return _request(request)


def statements_get(**params: str) -> LrsAnswer:
    """GET statements with xAPI query parameters (statementId, agent, verb, limit, ...)."""
    query = urllib.parse.urlencode(params)
    request = urllib.request.Request(  # noqa: S310 - the endpoint is the operator's setting
        statements_url() + (f"?{query}" if query else ""), headers=_headers(), method="GET"
    )
    return _request(request)
