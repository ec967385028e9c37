"""People move: a student joins or leaves a cohort, a cohort or an institution changes
what the cube is keyed by (track, year, institution; kind, region)."""

from __future__ import annotations

from django.db import connection

from .. import queue
from ..caching import rollups_changed
from ..models import (
    CohortEnrolment,
    CohortMasteryChange,
    CohortMonthlyActivity,
    CohortMonthlyCompletion,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    MasteryStep,
    RegionEnrolment,
    RegionLevelChange,
    RegionMonthlyActivity,
    RegionMonthlyCompletion,
)
from .keys import record_key
from .tables import (
    CHANGE_COLUMNS,
    CHANGE_KEY,
    COUNTRY_COLUMNS,
    COUNTRY_KEY,
    CUBE_COLUMNS,
    CUBE_KEY,
    LEVEL_COLUMNS,
    LEVEL_KEY,
    REGION_ACTIVITY_KEY,
    REGION_COLUMNS,
    REGION_KEY,
    changes_select,
    cohort_places,
)

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
    """A student joined (+1) or left (-1) a cohort: add or remove their figures there."""
    place = cohort_places([cohort_id]).get(cohort_id)
    if place is None:
        return
    key = record_key(student_id)  # drawn on the first join
    changes_body, with_clause = changes_select("WHERE student_id = %s")
    step = MasteryStep._meta.db_table
    dims = [place.region_id, place.kind, place.track, place.academic_year]
    targets = [
        # (table, its key, its columns, what is selected before month, grouped by, params)
        (
            CohortMasteryChange,
            CHANGE_KEY,
            CHANGE_COLUMNS,
            "%s, competence_id, framework_id",
            "competence_id, framework_id",
            [cohort_id],
        ),
        (
            InstitutionLevelChange,
            LEVEL_KEY,
            LEVEL_COLUMNS,
            "%s, %s, %s, framework_id",
            "framework_id",
            [place.institution_id, place.track, place.academic_year],
        ),
        (
            MasteryCube,
            CUBE_KEY,
            CUBE_COLUMNS,
            "%s, %s, %s, %s, competence_id, framework_id",
            "competence_id, framework_id",
            dims,
        ),
        (
            RegionLevelChange,
            REGION_KEY,
            REGION_COLUMNS,
            "%s, %s, %s, %s, framework_id",
            "framework_id",
            dims,
        ),
        (
            CountryCompetenceChange,
            COUNTRY_KEY,
            COUNTRY_COLUMNS,
            "%s, %s, %s, competence_id, framework_id",
            "competence_id, framework_id",
            dims[1:],
        ),
    ]
    with connection.cursor() as cursor:
        for model, unique, columns, select, group, params in targets:
            table = model._meta.db_table
            cursor.execute(
                f"""{with_clause}
                INSERT INTO {table} ({", ".join(columns)})
                SELECT {select}, month, level, %s * SUM(change), %s * SUM(key_change)
                FROM ({changes_body}) c WHERE true GROUP BY {group}, month, level
                HAVING SUM(change) <> 0 OR SUM(key_change) <> 0
                ON CONFLICT ({", ".join(unique)})
                DO UPDATE SET change = {table}.change + excluded.change,
                              key_change = {table}.key_change + excluded.key_change""",  # noqa: S608
                [student_id, *params, sign, sign],
            )
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
        activity = CohortMonthlyActivity._meta.db_table
        cursor.execute(
            f"""INSERT INTO {activity} (cohort_id, month, students, key_sum)
            SELECT DISTINCT %s, month, %s, %s FROM {step} WHERE student_id = %s
            ON CONFLICT (cohort_id, month)
            DO UPDATE SET students = {activity}.students + excluded.students,
                          key_sum = {activity}.key_sum + excluded.key_sum""",  # noqa: S608
            [cohort_id, sign, sign * key, student_id],
        )
        region_activity = RegionMonthlyActivity._meta.db_table
        cursor.execute(
            f"""INSERT INTO {region_activity} ({", ".join(REGION_ACTIVITY_KEY)}, students,
                                              key_sum)
            SELECT DISTINCT %s, %s, %s, %s, month, %s, %s FROM {step} WHERE student_id = %s
            ON CONFLICT ({", ".join(REGION_ACTIVITY_KEY)})
            DO UPDATE SET students = {region_activity}.students + excluded.students,
                          key_sum = {region_activity}.key_sum + excluded.key_sum""",  # noqa: S608
            [*dims, sign, sign * key, student_id],
        )
    # a level row whose change nets to zero stays while it still moves the key sum
    empty = {"change": 0, "key_change": 0}
    CohortMasteryChange.objects.filter(cohort_id=cohort_id, **empty).delete()
    InstitutionLevelChange.objects.filter(institution_id=place.institution_id, **empty).delete()
    MasteryCube.objects.filter(**empty).delete()
    RegionLevelChange.objects.filter(region_id=place.region_id, **empty).delete()
    CountryCompetenceChange.objects.filter(**empty).delete()
    CohortMonthlyActivity.objects.filter(cohort_id=cohort_id, students=0, key_sum=0).delete()
    RegionMonthlyActivity.objects.filter(region_id=place.region_id, students=0, key_sum=0).delete()
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
