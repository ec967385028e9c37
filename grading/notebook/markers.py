"""The nbgrader markers inside cell sources: solution regions and hidden-test regions.

The rules are nbgrader's (``preprocessors/clearsolutions.py`` and
``clearhiddentests.py``) so that teachers' existing notebooks release the same way:
a solution marker is a whole line, ``### BEGIN SOLUTION``, in code and markdown alike,
while a hidden-test marker is any line that contains ``BEGIN HIDDEN TESTS``. Marker
lines themselves never reach the student.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .i18n import gettext as _

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "END HIDDEN TESTS"

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


class MarkerError(ValueError):
    """Markers that do not pair up; the caller adds which cell it is."""


def _is_solution_begin(line: str) -> bool:
    return line.strip() == BEGIN_SOLUTION


def _is_solution_end(line: str) -> bool:
    return line.strip() == END_SOLUTION


def _is_hidden_begin(line: str) -> bool:
    return BEGIN_HIDDEN_TESTS in line


def _is_hidden_end(line: str) -> bool:
    return END_HIDDEN_TESTS in line


def _region_problem(region: str, problem: str) -> str:
    """The sentence fragment for a broken region, as whole phrases so they translate."""
    if region == "solution":
        messages = {
            "nested": _("a solution region starts inside another one"),
            "unopened": _("a solution region ends without having started"),
            "unclosed": _("a solution region is never closed"),
        }
    else:
        messages = {
            "nested": _("a hidden tests region starts inside another one"),
            "unopened": _("a hidden tests region ends without having started"),
            "unclosed": _("a hidden tests region is never closed"),
        }
    return messages[problem]


def _scan(
    source: str, is_begin: Callable[[str], bool], is_end: Callable[[str], bool], region: str
) -> Iterator[tuple[str, str]]:
    """Yield ``(role, line)`` with role "begin", "end", "inside" or "outside".

    Raises `MarkerError` for a nested region, an END without BEGIN, or a region that
    never ends: each would release a notebook with the wrong parts removed.
    """
    inside = False
    for line in source.split("\n"):
        if is_begin(line):
            if inside:
                raise MarkerError(_region_problem(region, "nested"))
            inside = True
            yield "begin", line
        elif is_end(line):
            if not inside:
                raise MarkerError(_region_problem(region, "unopened"))
            inside = False
            yield "end", line
        else:
            yield ("inside" if inside else "outside"), line
    if inside:
        raise MarkerError(_region_problem(region, "unclosed"))


def _solution_lines(source: str) -> Iterator[tuple[str, str]]:
    return _scan(source, _is_solution_begin, _is_solution_end, "solution")


def _hidden_lines(source: str) -> Iterator[tuple[str, str]]:
    return _scan(source, _is_hidden_begin, _is_hidden_end, "hidden tests")


def has_solution_region(source: str) -> bool:
    return any(role == "begin" for role, _line in _solution_lines(source))


def has_hidden_tests(source: str) -> bool:
    return any(role == "begin" for role, _line in _hidden_lines(source))


def marker_problems(source: str) -> list[str]:
    """Describe unpaired markers, as sentence fragments; empty when all is well."""
    problems = []
    for lines in (_solution_lines, _hidden_lines):
        try:
            for _line in lines(source):
                pass
        except MarkerError as exc:
            problems.append(str(exc))
    return problems


def replace_solution_regions(source: str, cell_type: str) -> tuple[str, bool]:
    """Replace each solution region by the stub, indented like its BEGIN line.

    Returns the new source and whether any region was found.
    """
    stub = CODE_STUB if cell_type == "code" else TEXT_STUB
    kept: list[str] = []
    found = False
    for role, line in _solution_lines(source):
        if role == "begin":
            found = True
            indent = line[: line.find(BEGIN_SOLUTION)]
            kept.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif role == "outside":
            kept.append(line)
    return "\n".join(kept), found


def hidden_region_lines(source: str) -> list[str]:
    """The lines of hidden-test regions, their markers included."""
    return [line for role, line in _hidden_lines(source) if role != "outside"]


def remove_hidden_tests(source: str) -> str:
    """The source without its hidden-test regions and their marker lines."""
    return "\n".join(line for role, line in _hidden_lines(source) if role == "outside")
