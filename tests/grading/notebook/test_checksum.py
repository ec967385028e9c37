import pytest

from grading.notebook.checksum import compute_checksum, is_unchanged

from .builders import code, markdown, nbgrader

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


# Cells and checksums of a student version made by nbgrader itself
# (jupyter/nbgrader, nbgrader/tests/apps/files/submitted-unchanged.ipynb).
@pytest.mark.parametrize(
    "cell, checksum",
    [
        (code(STUB, nbgrader("set_a", solution=True)), "3d6aac4236f8e1ec85380e692dcc51b1"),
        (
            code('print("Success!")', nbgrader("foo", grade=True, points=1.0)),
            "8bb5c7c6f388fae724e5ef53dc4deeb2",
        ),
        (
            markdown("YOUR ANSWER HERE", nbgrader("baz", grade=True, solution=True, points=2)),
            "9e51fd0022c24c4105e38369d2f9d751",
        ),
        (
            code(STUB, nbgrader("quux", grade=True, solution=True, points=3)),
            "5a193c164d7b444efe9a3612bee09f4c",
        ),
        (
            code('print("Don\'t change this cell!")', nbgrader("ro1", locked=True)),
            "86f5f877fe95faac003fcd4b8d43d093",
        ),
    ],
)
def test_matches_checksums_written_by_nbgrader(cell, checksum):
    assert compute_checksum(cell) == checksum


@pytest.mark.parametrize(
    "change",
    [
        lambda cell: setattr(cell, "source", cell.source + " "),
        lambda cell: cell.metadata.nbgrader.update(points=3),
        lambda cell: cell.metadata.nbgrader.update(grade_id="other"),
        lambda cell: cell.metadata.nbgrader.update(solution=False),
    ],
    ids=["source", "points", "grade_id", "flags"],
)
def test_any_change_to_a_checksummed_field_is_noticed(change):
    cell = code(STUB, nbgrader("quux", grade=True, solution=True, points=2))
    cell.metadata.nbgrader.checksum = compute_checksum(cell)
    assert is_unchanged(cell)

    change(cell)

    assert not is_unchanged(cell)


def test_a_cell_without_a_recorded_checksum_counts_as_changed():
    assert not is_unchanged(code(STUB, nbgrader("quux", grade=True, solution=True, points=2)))
