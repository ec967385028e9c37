import json

import nbformat
import pytest

from grading.notebook.errors import NotebookError
from grading.notebook.read import NotebookLimits, read_notebook

from .builders import code, notebook, result, square_exercise


def as_json(nb) -> str:
    return nbformat.writes(nb)


def test_reads_a_notebook_from_bytes_and_from_text():
    text = as_json(square_exercise())

    from_bytes = read_notebook(text.encode("utf-8"))
    from_text = read_notebook(text)

    assert from_bytes == from_text
    assert len(from_bytes.cells) == 7
    assert from_bytes.cells[2].metadata.nbgrader.grade_id == "square"


def test_accepts_a_byte_order_mark_as_windows_editors_write_it():
    nb = read_notebook(b"\xef\xbb\xbf" + as_json(notebook(code("1"))).encode())

    assert nb.cells[0].source == "1"


def test_joins_sources_stored_as_lists_of_lines():
    nb = read_notebook(as_json(notebook(code("a = 1\nb = 2"))))

    assert nb.cells[0].source == "a = 1\nb = 2"


def test_says_where_the_json_is_broken():
    with pytest.raises(NotebookError) as caught:
        read_notebook('{\n  "cells": [\n    {,\n  ]\n}')

    assert str(caught.value) == "The file is not valid JSON (line 3, column 6)."


def test_refuses_text_that_is_not_utf8():
    with pytest.raises(NotebookError, match="not UTF-8"):
        read_notebook(b'{"cells": "\xff"}')


@pytest.mark.parametrize("content", ["[]", '{"cells": []}', '{"nbformat": 4}', "42"])
def test_refuses_json_that_is_not_a_notebook(content):
    with pytest.raises(NotebookError, match="not a Jupyter notebook"):
        read_notebook(content)


def test_refuses_the_old_format_3_with_a_way_out():
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}

    with pytest.raises(NotebookError, match=r"old format version 3\. Open it in Jupyter"):
        read_notebook(json.dumps(old))


@pytest.mark.parametrize("major, minor", [(5, 0), (4, 99)])
def test_refuses_format_versions_newer_than_supported(major, minor):
    nb = json.loads(as_json(notebook()))
    nb.update(nbformat=major, nbformat_minor=minor)

    with pytest.raises(NotebookError, match=f"version {major}.{minor}, which is newer"):
        read_notebook(json.dumps(nb))


def test_refuses_a_file_over_the_size_limit_before_parsing_it():
    text = "x" * (1024 * 1024 + 1)  # not even JSON: size is checked first

    with pytest.raises(NotebookError, match="larger than 1 MB"):
        read_notebook(text, limits=NotebookLimits(max_bytes=1024 * 1024))


def test_refuses_too_many_cells():
    text = as_json(notebook(*[code(str(i)) for i in range(4)]))

    with pytest.raises(NotebookError, match="has 4 cells; at most 3"):
        read_notebook(text, limits=NotebookLimits(max_cells=3))


def test_refuses_outputs_over_the_limit_and_says_how_to_fix_it():
    big = code("print('x' * 5000)")
    big.outputs = [result("x" * 5000)]

    with pytest.raises(NotebookError, match=r"outputs are larger .* Clear all outputs"):
        read_notebook(as_json(notebook(big)), limits=NotebookLimits(max_output_bytes=4096))


def test_names_the_schema_violation_and_where_it_is():
    nb = json.loads(as_json(notebook(code("1"), code("2"))))
    del nb["cells"][1]["source"]

    with pytest.raises(NotebookError) as caught:
        read_notebook(json.dumps(nb))

    message = str(caught.value)
    assert message.startswith("The notebook does not follow the Jupyter notebook format")
    assert "cells/1" in message


def test_repairs_missing_cell_ids_as_jupyter_does():
    nb = json.loads(as_json(notebook(code("1"), code("2"))))
    for cell in nb["cells"]:
        del cell["id"]

    read = read_notebook(json.dumps(nb))

    assert all(cell.id for cell in read.cells)
    assert read.cells[0].id != read.cells[1].id
