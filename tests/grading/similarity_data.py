"""An exercise and answers for the similarity tests: one original, a disguised copy of it,
honest solutions of the same task, and students who only left the starter code."""

from __future__ import annotations

import nbformat

from tests.grading.notebook.builders import answer, answered, autotest, notebook, read_only

SKELETON = '''def describe(values):
    """Return the mean and the standard deviation of values."""
'''
SOLUTION = SKELETON + "    ### BEGIN SOLUTION\n    return 0, 0\n    ### END SOLUTION\n"
SETUP = "import math\nSCORES = [72, 88, 95, 61, 79]"
VISIBLE_TEST = (
    "mean, sd = describe(SCORES)\nassert abs(mean - 79.0) < 1e-9\nassert abs(sd - 11.66) < 0.01"
)


def describe_exercise():
    """A source notebook: read-only setup, an answer cell with a skeleton, a visible test."""
    return notebook(
        read_only("setup", SETUP),
        answer("describe", SOLUTION),
        autotest("test_describe", VISIBLE_TEST, points=2),
    )


ORIGINAL = (
    SKELETON
    + """    total = 0
    count = 0
    for value in values:
        total += value
        count += 1
    mean = total / count
    squares = 0
    for value in values:
        squares += (value - mean) ** 2
    variance = squares / count
    return mean, math.sqrt(variance)
"""
)

# ORIGINAL with every name changed, other spacing, blank lines and comments added.
DISGUISED_COPY = (
    SKELETON
    + """    # my own solution
    s = 0
    n = 0
    for x in values:
        s   +=  x
        n += 1   # count them

    avg = s / n
    acc = 0
    for x in values:
        acc += (x - avg) ** 2   # squared distance
    var = acc / n
    return avg,   math.sqrt(var)
"""
)

HONEST = [
    SKELETON
    + """    import statistics
    return statistics.fmean(values), statistics.pstdev(values)
""",
    SKELETON
    + """    m = sum(values) / len(values)
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / len(values))
""",
    SKELETON
    + """    n = len(values)
    if n == 0:
        raise ValueError("no values")
    mean = math.fsum(values) / n
    deviations = [abs(v - mean) for v in values]
    return mean, math.sqrt(math.fsum(d * d for d in deviations) / n)
""",
    # the same idea as ORIGINAL, written independently: it may share a little
    SKELETON
    + """    n = len(values)
    mean = sum(values) / n
    total = 0
    for v in values:
        total += (v - mean) ** 2
    return mean, math.sqrt(total / n)
""",
    SKELETON
    + """    squares_sum = sum(v * v for v in values)
    mean = sum(values) / len(values)
    return mean, (squares_sum / len(values) - mean * mean) ** 0.5
""",
]

# A student who left the skeleton, and one who pasted the visible test below it.
STARTER_ONLY = SKELETON + "    # YOUR CODE HERE\n    raise NotImplementedError()\n"
STARTER_AND_TEST = STARTER_ONLY + "\n" + VISIBLE_TEST + "\n"


def submission_notebook_of(exercise, code: str) -> dict:
    """The student version of `exercise` with the describe cell answered by `code`."""
    student = nbformat.from_dict(exercise.student_notebook)
    return answered(student, describe=code)
