"""The grading pipeline: pure functions over notebooks, no Django.

parse -> release -> sanitize -> execute in sandbox -> score -> feedback.
Every step takes notebooks and limits and returns frozen dataclasses; nothing here
touches a database, so the same code serves the Celery worker and the command line.
"""
