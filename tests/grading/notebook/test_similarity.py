"""Similar answers (grading.notebook.similarity): a copy disguised by renaming, spacing and
comments ranks first, honest solutions of the same task do not, and code everyone was
given (the released notebook's starter code and visible tests) never makes two answers
alike."""

from __future__ import annotations

import nbformat
import pytest

from grading.notebook import similarity
from grading.notebook.release import release
from grading.notebook.similarity import SimilarityParameters, answer_code, segments, similar_pairs
from tests.grading import similarity_data as data

from .builders import PYTHON3, answered, cell, code, notebook


@pytest.fixture
def released():
    return release(data.describe_exercise())


def answers_of(released, **codes: str) -> dict[str, str]:
    """key -> the answer code of a submission whose describe cell holds `code`."""
    return {
        key: answer_code(answered(nbformat.from_dict(released), describe=source), released)
        for key, source in codes.items()
    }


def class_answers(released) -> dict[str, str]:
    honest = {f"honest{i}": source for i, source in enumerate(data.HONEST)}
    return answers_of(
        released, original=data.ORIGINAL, **honest, copy=data.DISGUISED_COPY, late=data.STARTER_ONLY
    )


def test_a_disguised_copy_ranks_first_and_honest_solutions_are_not_flagged(released):
    pairs = similar_pairs(class_answers(released), starter=similarity.starter_code(released))

    assert [{p.first, p.second} for p in pairs] == [{"original", "copy"}]
    assert pairs[0].first_similarity > 0.9 and pairs[0].second_similarity > 0.9
    assert pairs[0].overlap >= 50


def test_with_a_finer_comparison_honest_pairs_appear_but_rank_below_the_copy(released):
    """Short matches count here (k=12, no threshold): independent solutions of one task
    share idioms, and must still rank under the copy."""
    fine = SimilarityParameters(k=12, window=1, threshold=0.0)
    pairs = similar_pairs(
        class_answers(released), starter=similarity.starter_code(released), parameters=fine
    )

    assert {pairs[0].first, pairs[0].second} == {"original", "copy"}
    honest = [p for p in pairs[1:] if "copy" not in (p.first, p.second)]
    assert len(honest) >= 3
    assert all(p.similarity < pairs[0].similarity - 0.25 for p in honest)
    assert [p.similarity for p in pairs] == sorted((p.similarity for p in pairs), reverse=True)


def test_students_who_left_only_the_starter_code_are_not_alike(released):
    answers = answers_of(
        released, one=data.STARTER_ONLY, two=data.STARTER_ONLY, three=data.STARTER_AND_TEST
    )
    everything = SimilarityParameters(threshold=0.0)

    assert (
        similar_pairs(answers, starter=similarity.starter_code(released), parameters=everything)
        == []
    )
    # what the starter code is worth without the boilerplate: each pair would be a match
    assert len(similar_pairs(answers, starter="", parameters=everything)) == 3


def test_only_the_answer_cells_are_read_in_the_released_order(released):
    submission = answered(
        nbformat.from_dict(released), describe="def describe(v):\n    return 1, 2"
    )
    cell(submission, "setup").source = "STOLEN = 'text in a read-only cell'"
    submission.cells.append(code("EXTRA = 'a cell the student added'"))

    text = answer_code(submission, released)

    assert text == "# [describe]\ndef describe(v):\n    return 1, 2\n"
    assert answer_code({"cells": "not a list"}, released) == ""


def test_cells_stored_as_lists_of_lines_are_read(released):
    submission = nbformat.from_dict(released)
    raw = {
        "cells": [
            {**dict(c), "source": ["x = 1\n", "y = 2"]}
            if c.metadata.get("nbgrader", {}).get("solution")
            else dict(c)
            for c in submission.cells
        ]
    }
    assert answer_code(raw, released) == "# [describe]\nx = 1\ny = 2\n"


def test_the_language_comes_from_the_kernel_and_unknown_ones_fall_back_to_python():
    assert similarity.notebook_language(notebook(kernelspec=PYTHON3)) == "python"
    r = {"name": "ir", "display_name": "R", "language": "R"}
    assert similarity.notebook_language(notebook(kernelspec=r)) == "R"
    odd = {"name": "x", "display_name": "X", "language": "no-such-language"}
    assert similarity.notebook_language(notebook(kernelspec=odd)) == "python"


def test_the_most_alike_pairs_are_kept_up_to_the_cap_and_progress_reaches_the_end(released):
    answers = answers_of(
        released,
        a=data.ORIGINAL,
        b=data.DISGUISED_COPY,
        c=data.ORIGINAL,
        d=data.ORIGINAL + "    # one more comment\n",
    )
    seen = []

    pairs = similar_pairs(
        answers,
        starter=similarity.starter_code(released),
        parameters=SimilarityParameters(max_pairs=2),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert len(pairs) == 2  # of the 6 alike pairs
    assert seen[-1][0] == seen[-1][1] == 4 + 6
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_empty_and_tiny_answers_are_compared_without_error(released):
    answers = answers_of(released, empty="", tiny="x=1", other="x=1")
    assert similar_pairs(answers, starter=similarity.starter_code(released)) == []


def test_segments_cover_the_code_once_and_mark_the_shared_parts():
    text = "abcdefghij"
    pieces = segments(text, [(6, 8), (2, 4), (3, 5), (9, 99), (-3, 0)])

    assert "".join(p.text for p in pieces) == text
    assert [(p.text, p.shared) for p in pieces] == [
        ("ab", False),
        ("cde", True),
        ("f", False),
        ("gh", True),
        ("i", False),
        ("j", True),
    ]


def test_the_shared_parts_of_a_copy_are_its_code_not_its_comments(released):
    answers = class_answers(released)
    pair = similar_pairs(answers, starter=similarity.starter_code(released))[0]
    copy_spans = pair.first_spans if pair.first == "copy" else pair.second_spans
    shared = "".join(p.text for p in segments(answers["copy"], copy_spans) if p.shared)

    assert "for x in values" in shared and "acc += (x - avg) ** 2" in shared
