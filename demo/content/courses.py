"""Every demo course, track by track.

The first course of each track is the one the grading demo attaches its notebook exercise
to (demo.courses.course_for_track), in the lesson whose slug starts with "practice-".
A course may be shared with other tracks ("shared_with"): their cohorts get it too.
"""

from __future__ import annotations

from . import data_ai, scholarship, school, university

COURSES = [*school.COURSES, *university.COURSES, *scholarship.COURSES, *data_ai.COURSES]
