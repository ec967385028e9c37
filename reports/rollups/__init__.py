"""Roll-ups: the evidence summed per student, cohort, institution, region and country, kept
in the tables of reports/models/rollups.py.

- refresh: incremental, one evidence batch at a time (queued after commit, default queue),
  and the periodic catch-up for evidence written past evidence_replace;
- cohorts: a student joining or leaving a cohort, a cohort or institution moving;
- rebuild: everything from scratch, set-based (`manage.py rebuild_mastery`), and the
  recounts that are always set-based (the cube and its sums, course completions);
- steps / tables: what the incremental and the set-based paths share.
Both paths produce the same rows by construction (tests/reports/test_rollup.py checks it).
"""

from .cohorts import (
    CUBE_FIELDS,
    cohort_completions_remove,
    cohort_member_apply,
    mastery_cube_rederive_queue,
)
from .rebuild import RebuildResult, completion_refresh, mastery_cube_rederive, mastery_rebuild
from .refresh import mastery_refresh_queue, mastery_refresh_stale, mastery_refresh_student
from .steps import month_of

__all__ = [
    "CUBE_FIELDS",
    "RebuildResult",
    "cohort_completions_remove",
    "cohort_member_apply",
    "completion_refresh",
    "mastery_cube_rederive",
    "mastery_cube_rederive_queue",
    "mastery_rebuild",
    "mastery_refresh_queue",
    "mastery_refresh_stale",
    "mastery_refresh_student",
    "month_of",
]
