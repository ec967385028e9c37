"""Finding hidden-test source in what a student receives, however it was encoded.

A student who gets hold of a hidden test in the kernel prints it in some form that plain
redaction cannot recognise; the tests search every text a student receives for the
hidden fragments in the forms an attack uses: as they are, reversed, hex and base64
(at every byte alignment, so a fragment in the middle of a longer encoded text is found).
"""

from __future__ import annotations

import base64
import binascii
import html
import re

# Distinctive parts of the square exercise's hidden test (builders.HIDDEN_CHECK).
HIDDEN_FRAGMENTS = ("square(-7) == 49", "negative numbers are positive")

_SPACE = re.compile(r"\s+")


def _base64_cores(fragment: bytes) -> list[str]:
    """The base64 characters that encode `fragment` whatever bytes surround it."""
    cores = []
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + fragment).decode()
        start = 4 if pad else 0  # the first group mixes in the padding bytes
        end = len(encoded) - (4 if (pad + len(fragment)) % 3 else 0)  # a partial last group
        if end - start >= 8:
            cores.append(encoded[start:end])
    return cores


def leaked_forms(text: str, fragments: tuple[str, ...] = HIDDEN_FRAGMENTS) -> list[str]:
    """How `text` shows any of `fragments`: e.g. ["hex: square(-7) == 49"]; [] if it does not."""
    found = []
    texts = {text, html.unescape(text)}
    squeezed = {_SPACE.sub("", t) for t in texts}
    for fragment in fragments:
        raw = fragment.encode()
        if any(fragment in t for t in texts):
            found.append(f"plain: {fragment}")
        if any(fragment[::-1] in t for t in texts):
            found.append(f"reversed: {fragment}")
        if any(binascii.hexlify(raw).decode() in t.lower() for t in squeezed):
            found.append(f"hex: {fragment}")
        if any(core in t for core in _base64_cores(raw) for t in squeezed):
            found.append(f"base64: {fragment}")
    return found
