"""Pairs of answers that are suspiciously alike, for teachers (never for students).

The comparison is copydetect's (https://github.com/blingenf/copydetect): each answer is
tokenized by Pygments, names and strings are replaced by placeholders (so renaming
variables, reformatting or rewriting comments changes nothing), and the k-grams of what
is left are hashed and winnowed (Schleimer, Wilkerson, Aiken: "Winnowing", SIGMOD 2003).
Two answers are alike in proportion to the fingerprints they share.

Code everyone received is no evidence of copying: every k-gram of the released notebook's
code cells (answer stubs, read-only cells, visible tests) is boilerplate and is removed
from each answer's fingerprints before any comparison.

Python's `hash()` of a string differs between processes (PYTHONHASHSEED), so fingerprints
are computed and compared within one call and never stored.
"""

from __future__ import annotations

import heapq
import io
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from .metadata import CellKind, nbgrader_metadata

ANSWER_KINDS = frozenset({CellKind.ANSWER, CellKind.MANUAL_ANSWER})
DEFAULT_LANGUAGE = "python"
# copydetect names a fingerprinted text by a file name; only its extension would matter,
# and the lexer is always chosen by language here.
_NAME = "answer"


@dataclass(frozen=True)
class SimilarityParameters:
    """How answers are compared (copydetect's terms in brackets)."""

    k: int = 25  # shortest match that counts, in filtered characters [noise threshold]
    window: int = 4  # winnowing window; a match of k + window - 1 is always found
    threshold: float = 0.5  # a pair is kept when either answer is this much shared
    max_pairs: int = 200  # the most alike pairs kept; the rest are dropped


@dataclass(frozen=True)
class SimilarPair:
    """Two answers and what they share; `first`/`second` are the keys they were given."""

    first: Hashable
    second: Hashable
    first_similarity: float  # share of the first answer's fingerprinted code found in the second
    second_similarity: float  # and the other way round
    overlap: int  # characters of filtered code they share
    first_spans: tuple[tuple[int, int], ...]  # shared parts of the first answer's code
    second_spans: tuple[tuple[int, int], ...]

    @property
    def similarity(self) -> float:
        """What ranks the pair: the larger share, so a short answer copied whole into a
        longer one ranks as high as two copies of each other."""
        return max(self.first_similarity, self.second_similarity)


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):  # the on-disk form of nbformat: a list of lines
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _cells(notebook: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    cells = notebook.get("cells") if isinstance(notebook, Mapping) else None
    return [c for c in cells if isinstance(c, Mapping)] if isinstance(cells, list) else []


def answer_code(notebook: Mapping[str, Any], released: Mapping[str, Any]) -> str:
    """The code a student wrote in the released notebook's code answer cells, in its order,
    each after a comment naming the cell (comments do not count in the comparison).

    Cells are matched by grade_id, as grading matches them; cells a student added and
    answers of another type are not read: grading does not count them either.
    """
    answers: dict[str, str] = {}
    for cell in _cells(notebook):
        grade_id = nbgrader_metadata(cell).grade_id
        if grade_id and grade_id not in answers:
            answers[grade_id] = _source(cell)
    parts = []
    for cell in _cells(released):
        meta = nbgrader_metadata(cell)
        if cell.get("cell_type") == "code" and meta.kind in ANSWER_KINDS and meta.grade_id:
            code = answers.get(meta.grade_id)
            if code is not None:
                parts.append(f"# [{meta.grade_id}]\n{code.rstrip()}\n")
    return "\n".join(parts)


def starter_code(released: Mapping[str, Any]) -> str:
    """Every code cell of the released notebook: what every student started from."""
    return "\n\n".join(_source(c) for c in _cells(released) if c.get("cell_type") == "code")


def notebook_language(released: Mapping[str, Any]) -> str:
    """The language the notebook's kernel runs, as Pygments names it; Python if unknown."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    metadata = released.get("metadata") if isinstance(released, Mapping) else None
    metadata = metadata if isinstance(metadata, Mapping) else {}
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        name = section.get(field) if isinstance(section, Mapping) else None
        if isinstance(name, str) and name:
            try:
                get_lexer_by_name(name)
            except ClassNotFound:
                continue
            return name
    return DEFAULT_LANGUAGE


def _fingerprint(code: str, *, k: int, window: int, language: str, boilerplate: frozenset):
    """copydetect's fingerprint of `code`, without the boilerplate's fingerprints.

    The boilerplate is removed here rather than by CodeFingerprint's own argument, which
    intersects with `assume_unique=True` although winnowed hashes repeat, and so can miss
    some boilerplate in code that repeats it.
    """
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    fingerprint = CodeFingerprint(_NAME, k, window, language=language, fp=io.StringIO(code))
    if boilerplate:
        fingerprint.hashes = {h for h in fingerprint.hashes if h not in boilerplate}
        fingerprint.hash_idx = {
            h: idx for h, idx in fingerprint.hash_idx.items() if h not in boilerplate
        }
        fingerprint.token_coverage = get_token_coverage(
            fingerprint.hash_idx, k, len(fingerprint.filtered_code)
        )
    return fingerprint


def _boilerplate(starter: str, *, k: int, language: str) -> frozenset:
    """Every k-gram of the starter code (window 1, as copydetect takes boilerplate)."""
    if not starter.strip():
        return frozenset()
    from copydetect import CodeFingerprint

    fingerprint = CodeFingerprint(_NAME, k, 1, language=language, fp=io.StringIO(starter))
    return frozenset(fingerprint.hashes)


def _spans(slices) -> tuple[tuple[int, int], ...]:
    if len(slices) == 0 or len(slices[0]) == 0:
        return ()
    return tuple((int(start), int(end)) for start, end in zip(slices[0], slices[1], strict=True))


def similar_pairs(
    answers: Mapping[Hashable, str],
    *,
    starter: str = "",
    language: str = DEFAULT_LANGUAGE,
    parameters: SimilarityParameters | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[SimilarPair]:
    """The pairs of `answers` (key -> code) alike above the threshold, most alike first
    (ties: the larger overlap first), at most `max_pairs` of them.

    Only pairs that share a fingerprint are compared, found through an index from each
    fingerprint to the answers that have it: answers with nothing in common cost nothing.
    `progress(done, total)` is called as work advances (total: answers + pairs compared).
    """
    from copydetect import compare_files

    parameters = parameters or SimilarityParameters()
    k, window = parameters.k, parameters.window
    boilerplate = _boilerplate(starter, k=k, language=language)
    keys = list(answers)
    fingerprints = []
    for key in keys:
        fingerprints.append(
            _fingerprint(
                answers[key], k=k, window=window, language=language, boilerplate=boilerplate
            )
        )
    candidates = _candidate_pairs(fp.hashes for fp in fingerprints)
    total = len(keys) + len(candidates)
    step = max(total // 50, 1)
    done = len(keys)
    if progress:
        progress(done, total)
    kept: list[tuple[float, int, int, int, SimilarPair]] = []  # a min-heap of the best
    for i, j in candidates:
        overlap, (sim_i, sim_j), (slices_i, slices_j) = compare_files(
            fingerprints[i], fingerprints[j]
        )
        done += 1
        if progress and done % step == 0:
            progress(done, total)
        if overlap <= 0 or max(sim_i, sim_j) < parameters.threshold:
            continue
        pair = SimilarPair(
            first=keys[i],
            second=keys[j],
            first_similarity=min(float(sim_i), 1.0),
            second_similarity=min(float(sim_j), 1.0),
            overlap=int(overlap),
            first_spans=_spans(slices_i),
            second_spans=_spans(slices_j),
        )
        entry = (pair.similarity, pair.overlap, -i, -j, pair)  # i, j: a stable tie-break
        if len(kept) < parameters.max_pairs:
            heapq.heappush(kept, entry)
        elif entry[:4] > kept[0][:4]:
            heapq.heapreplace(kept, entry)
    if progress:
        progress(total, total)
    return [entry[-1] for entry in sorted(kept, key=lambda e: e[:4], reverse=True)]


def _candidate_pairs(hash_sets: Iterable[set]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of answers sharing at least one fingerprint, in order."""
    holders: dict[Any, list[int]] = defaultdict(list)
    for index, hashes in enumerate(hash_sets):
        for value in hashes:
            holders[value].append(index)
    pairs: set[tuple[int, int]] = set()
    for indices in holders.values():
        if len(indices) > 1:
            pairs.update(combinations(indices, 2))
    return sorted(pairs)


@dataclass(frozen=True)
class Segment:
    """A piece of an answer's code, shared with the other answer of the pair or not."""

    text: str
    shared: bool


def segments(code: str, spans: Iterable[tuple[int, int]]) -> list[Segment]:
    """`code` cut at the edges of `spans` (merged, clipped to the code): plain text for
    the template to escape, never HTML (copydetect's `highlight_overlap` returns HTML)."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(code), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, position = [], 0
    for start, end in merged:
        if start > position:
            pieces.append(Segment(code[position:start], False))
        pieces.append(Segment(code[start:end], True))
        position = end
    if position < len(code):
        pieces.append(Segment(code[position:], False))
    return pieces
