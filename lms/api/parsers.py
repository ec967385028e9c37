"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest.

Python's `json` recurses once per level: a body of 100,000 `[` raises RecursionError
(a server error), and a few hundred levels that do parse would still exhaust the stack of
whatever walks the value next (copying, validating, rendering an error). No request of
this API nests more than a few levels, so anything deeper is refused as a parse error
(400) before a view sees it. Configured for every view in `REST_FRAMEWORK`.
"""

from __future__ import annotations

from django.utils.translation import ngettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32  # arrays and objects inside each other; the API's bodies use 3


def nesting_depth_exceeds(value, limit: int) -> bool:
    """Whether arrays/objects nest deeper than `limit` in a parsed JSON value (no recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if isinstance(data, dict | list) and nesting_depth_exceeds(data, MAX_DEPTH):
            raise _too_deep()
        return data


def _too_deep() -> ParseError:
    return ParseError(
        ngettext(
            "The JSON body is nested more than %(limit)d level deep.",
            "The JSON body is nested more than %(limit)d levels deep.",
            MAX_DEPTH,
        )
        % {"limit": MAX_DEPTH}
    )
