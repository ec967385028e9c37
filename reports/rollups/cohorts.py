"""People move: a student joins or leaves a cohort, a cohort or an institution changes
what the cube is keyed by (track, year, institution; kind, region)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db import connection

from .. import queue
from ..caching import rollups_changed
from ..models import (
    CohortEnrolment,
    CohortMonthlyCompletion,
    MasteryRollup,
    RegionEnrolment,
    RegionMonthlyCompletion,
)
from .keys import record_key
from .refresh import add_activity, add_changes
from .steps import changes_from
from .tables import REGION_ACTIVITY_KEY, REGION_KEY, cohort_places

# What the cube is keyed by: a change to one of these moves a cohort's figures in it.
CUBE_FIELDS = {
    "Cohort": ("track", "academic_year", "institution_id"),
    "Institution": ("kind", "region_id"),
}


def mastery_cube_rederive_queue() -> None:
    """A cohort or an institution changed what the cube is keyed by: sum the cohort
    figures into the cube again, on the default queue, after commit."""
    queue.enqueue(queue.MASTERY_CUBE_REDERIVE)


def cohort_member_apply(*, student_id: int, cohort_id: int, sign: int) -> None:
    """A student joined (+1) or left (-1) a cohort: add or remove their figures there (their
    steps' changes in the institution table, the cube and its sums; the months they were
    active; the enrolment)."""
    places = cohort_places([cohort_id])
    place = places.get(cohort_id)
    if place is None:
        return
    key = record_key(student_id)  # drawn on the first join
    changes: dict[tuple[int, int], Counter] = {}
    active: set[date] = set()
    for competence_id, framework_id, months, levels in MasteryRollup.objects.filter(
        student_id=student_id
    ).values_list("competence_id", "framework_id", "step_months", "step_levels"):
        pair = changes_from(dict(zip(months, levels, strict=True)))
        changes[(competence_id, framework_id)] = Counter(
            {at: sign * delta for at, delta in pair.items()}
        )
        active.update(months)
    add_changes(places, changes, key)
    add_activity(places, dict.fromkeys(active, sign), key)
    dims = [place.region_id, place.kind, place.track, place.academic_year]
    with connection.cursor() as cursor:
        enrolment = CohortEnrolment._meta.db_table
        cursor.execute(
            f"""INSERT INTO {enrolment} (cohort_id, students, key_sum) VALUES (%s, %s, %s)
            ON CONFLICT (cohort_id)
            DO UPDATE SET students = {enrolment}.students + excluded.students,
                          key_sum = {enrolment}.key_sum + excluded.key_sum""",  # noqa: S608
            [cohort_id, sign, sign * key],
        )
        region_enrolment = RegionEnrolment._meta.db_table
        cursor.execute(
            f"""INSERT INTO {region_enrolment} ({", ".join(REGION_KEY[:4])}, students, key_sum)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT ({", ".join(REGION_KEY[:4])})
            DO UPDATE SET students = {region_enrolment}.students + excluded.students,
                          key_sum = {region_enrolment}.key_sum + excluded.key_sum""",  # noqa: S608
            [*dims, sign, sign * key],
        )
    RegionEnrolment.objects.filter(region_id=place.region_id, students=0, key_sum=0).delete()
    rollups_changed(cohort_ids=[cohort_id])


def cohort_completions_remove(*, cohort_id: int) -> None:
    """A cohort is being deleted: its course completions (which its deletion takes with it,
    and which no recount sees go) come out of the region sums. Its memberships take the
    rest out one student at a time (cohort_member_apply)."""
    place = cohort_places([cohort_id]).get(cohort_id)
    if place is None:
        return
    table = RegionMonthlyCompletion._meta.db_table
    keys = ", ".join(REGION_ACTIVITY_KEY)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} ({keys}, students, key_sum)
            SELECT %s, %s, %s, %s, month, -students, -key_sum
            FROM {CohortMonthlyCompletion._meta.db_table} WHERE cohort_id = %s
            ON CONFLICT ({keys})
            DO UPDATE SET students = {table}.students + excluded.students,
                          key_sum = {table}.key_sum + excluded.key_sum""",  # noqa: S608
            [place.region_id, place.kind, place.track, place.academic_year, cohort_id],
        )
    RegionMonthlyCompletion.objects.filter(
        region_id=place.region_id, students=0, key_sum=0
    ).delete()
