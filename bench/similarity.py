"""How long a similarity check of a large class takes (prints figures; not a test).

    .venv/bin/python bench/similarity.py [--students 300] [--copies 10]

A class of answers to the tests' "describe" exercise (tests/grading/similarity_data.py):
each student writes their own answer (one of several ways for each step: an input
check, the mean, the variance, the result; their own names), and `--copies` of them hand
in a classmate's answer with other names, spacing and comments. Times
`grading.notebook.similarity.similar_pairs` (what the Celery task runs: fingerprints,
candidate pairs, comparisons), and says whether every copy was ranked above every
honest pair.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grading.notebook import similarity
from grading.notebook.release import release
from tests.grading import similarity_data as data

NAMES = ["a", "b", "c", "acc", "tot", "num", "val", "item", "x", "y", "z", "mu", "s", "k"]

# Ways to write each step of the answer; a student picks one of each, in their own words.
MEAN = [
    "    {m} = sum(values) / len(values)",
    "    {n} = len(values)\n    {m} = math.fsum(values) / {n}",
    "    {t} = 0\n    for {v} in values:\n        {t} += {v}\n    {m} = {t} / len(values)",
    "    import statistics\n    {m} = statistics.fmean(values)",
]
VARIANCE = [
    "    {q} = sum(({v} - {m}) ** 2 for {v} in values) / len(values)",
    "    {q} = 0\n    for {v} in values:\n"
    "        {q} += ({v} - {m}) * ({v} - {m})\n    {q} /= len(values)",
    "    {q} = sum({v} * {v} for {v} in values) / len(values) - {m} ** 2",
    "    {d} = [{v} - {m} for {v} in values]\n"
    "    {q} = math.fsum({e} ** 2 for {e} in {d}) / len({d})",
]
EXTRA = [
    "    if not values:\n        raise ValueError('empty')",
    "    values = list(values)",
    "    # check the input\n    assert len(values) > 0",
    "    print('computing', len(values))",
    "",
]
RESULT = [
    "    return {m}, math.sqrt({q})",
    "    return {m}, {q} ** 0.5",
    "    {r} = math.sqrt({q})\n    return {m}, {r}",
]


def honest(rng: random.Random) -> tuple[str, tuple[int, ...]]:
    """One student's own answer (a variant of each step, their own names), and which."""
    names = {key: rng.choice(NAMES) + str(rng.randint(0, 99)) for key in "mntvqdeqr"}
    choice = tuple(rng.randrange(len(step)) for step in (EXTRA, MEAN, VARIANCE, RESULT))
    steps = [step[i] for step, i in zip((EXTRA, MEAN, VARIANCE, RESULT), choice, strict=True)]
    return data.SKELETON + "\n".join(s.format(**names) for s in steps if s) + "\n", choice


def disguise(code: str, rng: random.Random) -> str:
    """A copy: the same answer with other names, other spacing and comments."""
    body = code[len(data.SKELETON) :]
    names = set(re.findall(r"\b[a-z]+[0-9]+\b", body))
    mapping = {n: rng.choice(NAMES) + "_" + str(rng.randint(0, 99)) for n in names}
    body = re.sub(r"\b[a-z]+[0-9]+\b", lambda m: mapping[m.group(0)], body)
    lines = [line + ("   # ok" if rng.random() < 0.3 else "") for line in body.splitlines()]
    return data.SKELETON + "\n\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--max-pairs", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    released = release(data.describe_exercise())
    written = {i: honest(rng) for i in range(args.students)}
    answers = {i: code for i, (code, _) in written.items()}
    copied = set()
    for target in rng.sample(range(args.students), args.copies):
        source = rng.choice([i for i in range(args.students) if i != target])
        answers[target] = disguise(answers[source], rng)
        copied.add(frozenset((source, target)))
        written[target] = (answers[target], ("copy", target))
    # honest students who happened to pick the same way for every step: alike by nature
    same_way = sum(
        written[i][1] == written[j][1]
        for i in range(args.students)
        for j in range(i + 1, args.students)
    )
    codes = {
        key: similarity.answer_code(
            {
                "cells": [
                    {**c, "source": code}
                    if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                    else c
                    for c in released["cells"]
                ]
            },
            released,
        )
        for key, code in answers.items()
    }
    starter = similarity.starter_code(released)
    for window in (1, 4):
        parameters = similarity.SimilarityParameters(window=window, max_pairs=args.max_pairs)
        started = time.perf_counter()
        calls: list[int] = []
        pairs = similarity.similar_pairs(
            codes,
            starter=starter,
            parameters=parameters,
            progress=lambda done, total, calls=calls: calls.append(total),
        )
        seconds = time.perf_counter() - started
        compared = calls[-1] - len(codes)
        found = {frozenset((p.first, p.second)) for p in pairs}
        full = {frozenset((p.first, p.second)) for p in pairs if p.similarity >= 0.999}
        print(
            f"window {window}: {len(codes)} answers, {compared} of "
            f"{len(codes) * (len(codes) - 1) // 2} pairs compared, {len(pairs)} kept, "
            f"{seconds:.2f} s; copies kept: {len(copied & found)} of {len(copied)}, "
            f"at similarity 1.0: {len(copied & full)}; pairs at 1.0: {len(full)} "
            f"({same_way} honest pairs wrote every step the same way)"
        )


if __name__ == "__main__":
    main()
