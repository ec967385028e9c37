"""The grading pipeline: pure functions over notebooks, no Django, no sandbox.

parse -> release -> sanitize -> (execute) -> score -> feedback.
Every step takes notebooks and limits and returns frozen dataclasses; nothing here
touches a database, so the same code serves the Celery worker and the command line.
Execution is the caller's `Executor` (types.py): grading.sandbox runs kernels on this
machine, tests pass a fake.
"""
