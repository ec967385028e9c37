"""Machine-dependent execution of notebooks (filled by the grading split)."""
