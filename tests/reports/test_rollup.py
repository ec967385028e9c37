"""The mastery roll-up follows evidence batch by batch (refreshed after commit, on the
default queue, once per batch), and rebuilding it from scratch (set-based SQL) gives
exactly the same figures."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from evidence.models import CompetenceEvidence
from people.models import Cohort, Membership, Role
from reports.models import (
    CohortEnrolment,
    CohortMonthlyActivity,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    MasteryRollup,
    RecordKey,
    RegionEnrolment,
    RegionLevelChange,
    RegionMonthlyActivity,
    RegionMonthlyCompletion,
)
from reports.privacy import KEY_MODULUS
from reports.rollups import keys, mastery_refresh_stale, month_of
from reports.rollups.tables import cohort_changes_sql
from tests.factories import MembershipFactory, UserFactory

from .conftest import (
    another_waits_on_a_lock,
    cohort_with_students,
    months_ago,
    replace_evidence,
    school,
)

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "rollups": sorted(
            (
                r.student_id,
                r.competence_id,
                r.framework_id,
                r.level,
                r.evidence_count,
                round(r.average_score, 9),
                r.first_activity_at,
                r.last_activity_at,
                tuple(r.step_months),
                tuple(r.step_levels),
            )
            for r in MasteryRollup.objects.all()
        ),
        "activity": sorted(
            CohortMonthlyActivity.objects.values_list("cohort_id", "month", "students", "key_sum")
        ),
        "levels": sorted(
            InstitutionLevelChange.objects.values_list(
                "institution_id",
                "track",
                "academic_year",
                "framework_id",
                "month",
                "level",
                "change",
                "key_change",
            )
        ),
        "enrolment": sorted(
            CohortEnrolment.objects.values_list("cohort_id", "students", "key_sum")
        ),
        "cube": sorted(
            MasteryCube.objects.values_list(
                "region_id",
                "kind",
                "track",
                "academic_year",
                "framework_id",
                "competence_id",
                "month",
                "level",
                "change",
                "key_change",
            )
        ),
        "region_levels": sorted(
            RegionLevelChange.objects.values_list(
                "region_id",
                "kind",
                "track",
                "academic_year",
                "framework_id",
                "month",
                "level",
                "change",
                "key_change",
            )
        ),
        "country_competences": sorted(
            CountryCompetenceChange.objects.values_list(
                "kind",
                "track",
                "academic_year",
                "framework_id",
                "competence_id",
                "month",
                "level",
                "change",
                "key_change",
            )
        ),
        "region_activity": sorted(
            RegionMonthlyActivity.objects.values_list(
                "region_id", "kind", "track", "academic_year", "month", "students", "key_sum"
            )
        ),
        "region_enrolment": sorted(
            RegionEnrolment.objects.values_list(
                "region_id", "kind", "track", "academic_year", "students", "key_sum"
            )
        ),
        "region_completion": sorted(
            RegionMonthlyCompletion.objects.values_list(
                "region_id", "kind", "track", "academic_year", "month", "students", "key_sum"
            )
        ),
        "record_keys": sorted(RecordKey.objects.values_list("student_id", "value")),
    }


def cohort_changes(cohort, competence) -> Counter:
    """{(month, level): (students arriving - leaving, their keys likewise)} of a cohort on a
    competence, as an institution's report sums them from the students' steps."""
    sql, params = cohort_changes_sql(
        Cohort.objects.filter(pk=cohort.pk), competence.area.framework_id, date(9999, 12, 1)
    )
    sums: Counter = Counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for _cohort, c, month, level, change, key_change in cursor.fetchall():
            if c == competence.pk:
                month = month if isinstance(month, date) else date.fromisoformat(month)
                sums[(month, level, "n")] += change
                sums[(month, level, "keys")] += key_change
    return sums


def test_level_reached_is_the_highest_level_with_a_passing_score(record, competences, region):
    _cohort, (student,) = cohort_with_students(school(region), 1)
    c = competences[0]
    record(student, c, level=2, score=1.0, when=months_ago(3))
    record(student, c, level=5, score=0.4, when=months_ago(2))  # failed: not reached
    record(student, c, level=4, score=0.5, when=months_ago(1))  # exactly the threshold
    rollup = MasteryRollup.objects.get(student=student, competence=c)
    assert (rollup.level, rollup.evidence_count) == (4, 3)
    assert rollup.last_activity_at == months_ago(1)
    steps = dict(zip(rollup.step_months, rollup.step_levels, strict=True))
    assert steps == {
        month_of(months_ago(3)): 2,
        month_of(months_ago(2)): 2,
        month_of(months_ago(1)): 4,
    }


def test_a_regrade_replaces_evidence_and_the_rollup_follows(record, replace, competences, region):
    cohort, (student,) = cohort_with_students(school(region), 1)
    c = competences[1]
    record(student, c, level=3, score=1.0, key="exercise:1:a")
    assert MasteryRollup.objects.get(student=student, competence=c).level == 3
    record(student, c, level=3, score=0.2, key="exercise:1:a")  # the teacher regraded the cell
    assert MasteryRollup.objects.get(student=student, competence=c).level == 0
    replace(student, "exercise:1:a", [])  # the cell is no longer graded
    assert not MasteryRollup.objects.filter(student=student).exists()
    assert not cohort_changes(cohort, c)
    assert not InstitutionLevelChange.objects.exists() and not MasteryCube.objects.exists()
    assert not CohortMonthlyActivity.objects.filter(cohort=cohort).exists()


def test_cohort_figures_count_students_at_each_level(record, competences, region):
    cohort, students = cohort_with_students(school(region), 3)
    c = competences[0]
    for student, level in zip(students, (1, 3, 3), strict=True):
        record(student, c, level=level, score=1.0)
    per_level = Counter()
    for (_month, level, what), n in cohort_changes(cohort, c).items():
        if what == "n":
            per_level[level] += n
    assert per_level == {1: 1, 3: 2}
    assert CohortMonthlyActivity.objects.get(cohort=cohort).students == 3


def test_rollup_equals_rebuild(record, replace, competences, region):
    rng = random.Random(7)
    institution = school(region)
    cohorts = [cohort_with_students(institution, 6) for _ in range(3)]
    students = [s for _c, group in cohorts for s in group]
    rows = []
    for _ in range(160):
        rows.append(
            record(
                rng.choice(students),
                rng.choice(competences[:6]),
                level=rng.randint(1, 8),
                score=rng.choice([0.0, 0.3, 0.5, 0.8, 1.0]),
                when=months_ago(rng.randint(0, 14), day=rng.randint(1, 27)),
            )
        )
    for row in rng.sample(rows, 30):  # answered again or regraded: replaced under its key
        record(
            row.student,
            row.competence,
            level=rng.randint(1, 8),
            score=rng.choice([0.0, 1.0]),
            when=months_ago(rng.randint(0, 3)),
            key=row.source_key,
        )
    for row in rng.sample(rows, 20):  # withdrawn
        replace(row.student, row.source_key, [])
    # a student joins a second cohort, another leaves theirs: figures move with them
    MembershipFactory(user=students[0], cohort=cohorts[1][0], role=Role.STUDENT)
    Membership.objects.get(user=students[-1], role=Role.STUDENT).delete()

    incremental = snapshot()
    assert incremental["rollups"] and incremental["cube"] and incremental["activity"]
    assert incremental["levels"]
    assert incremental["region_levels"] and incremental["country_competences"]
    assert incremental["region_activity"] and incremental["region_enrolment"]
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == incremental


def test_evidence_written_past_evidence_replace_is_caught_up(competences, region):
    """A restore or raw SQL announces nothing: the periodic catch-up finds the pairs."""
    _cohort, (student,) = cohort_with_students(school(region), 1)
    CompetenceEvidence.objects.bulk_create(
        [
            CompetenceEvidence(
                student=student,
                competence=competences[0],
                level=2,
                score=1.0,
                source="quiz",
                source_key="quiz:bulk:1",
            ),
        ]
    )
    assert not MasteryRollup.objects.exists()
    assert mastery_refresh_stale() == 1
    assert MasteryRollup.objects.get(student=student).level == 2
    assert mastery_refresh_stale() == 0


def test_a_student_without_a_cohort_has_a_rollup_but_no_cohort_figures(record, competences):
    student = UserFactory()
    record(student, competences[0], level=2)
    assert MasteryRollup.objects.filter(student=student).exists()
    assert not InstitutionLevelChange.objects.exists() and not MasteryCube.objects.exists()


def test_the_cube_follows_an_institution_that_moves(
    record, competences, region, django_capture_on_commit_callbacks, eager
):
    from people.models import Region

    institution = school(region)
    _cohort, students = cohort_with_students(institution, 2)
    for s in students:
        record(s, competences[0], level=2)
    assert set(MasteryCube.objects.values_list("region_id", flat=True)) == {region.pk}
    elsewhere = Region.objects.get(code="shusha")  # a city of Karabakh
    institution.region = elsewhere
    with django_capture_on_commit_callbacks(execute=True):
        institution.save()
    assert set(MasteryCube.objects.values_list("region_id", flat=True)) == {elsewhere.pk}
    assert set(RegionLevelChange.objects.values_list("region_id", flat=True)) == {elsewhere.pk}
    assert set(RegionMonthlyActivity.objects.values_list("region_id", flat=True)) == {elsewhere.pk}
    assert set(RegionEnrolment.objects.values_list("region_id", flat=True)) == {elsewhere.pk}
    incremental = snapshot()
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == incremental


def test_a_rolled_back_batch_queues_nothing_and_blocks_nothing(
    record, competences, region, eager, django_capture_on_commit_callbacks
):
    from django.db import transaction

    _cohort, (student,) = cohort_with_students(school(region), 1)
    c = competences[2]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        replace_evidence(student, "quiz:rolled-back", [(c, 5, 1.0)])
        raise RuntimeError("the request failed")
    assert callbacks == [] and not MasteryRollup.objects.exists()
    record(student, c, level=3)
    assert MasteryRollup.objects.get(student=student, competence=c).level == 3


def test_every_count_carries_the_record_keys_of_those_it_counts(
    record, competences, region, monkeypatch
):
    """The cell-key method's sums: a row whose students cancel out (one arrives at a level
    in the month another leaves it) keeps the difference of their keys."""
    drawn = iter([1111, 2222])
    monkeypatch.setattr(keys, "new_record_key", lambda: next(drawn))
    cohort, (a, b) = cohort_with_students(school(region), 2)
    key = dict(RecordKey.objects.values_list("student_id", "value"))
    assert (key[a.pk], key[b.pk]) == (1111, 2222)
    c = competences[0]
    record(b, c, level=3, when=months_ago(2))
    record(b, c, level=5, when=months_ago(1))  # b leaves level 3 ...
    record(a, c, level=3, when=months_ago(1))  # ... in the month a arrives there
    month = month_of(months_ago(1))
    changes = cohort_changes(cohort, c)
    assert (changes[(month, 3, "n")], changes[(month, 3, "keys")]) == (0, 1111 - 2222)
    at_three = [(what, n) for (_m, level, what), n in changes.items() if level == 3]
    assert sum(n for what, n in at_three if what == "n") == 1
    assert sum(n for what, n in at_three if what == "keys") == 1111
    cube = MasteryCube.objects.get(competence=c, month=month, level=3)
    assert (cube.change, cube.key_change) == (0, 1111 - 2222)
    assert CohortEnrolment.objects.get(cohort=cohort).key_sum == 1111 + 2222
    assert CohortMonthlyActivity.objects.get(cohort=cohort, month=month).key_sum == 1111 + 2222
    incremental = snapshot()
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == incremental  # the keys stay, and the sums come out the same


def test_students_loaded_in_bulk_get_their_keys_from_a_rebuild(region):
    """Memberships written past the services (a bulk load, raw SQL) announce nothing: the
    rebuild draws the missing keys, set-based, and keeps the ones drawn before."""
    cohort, (first,) = cohort_with_students(school(region), 1)
    before = RecordKey.objects.get(student=first).value
    loaded = [UserFactory() for _ in range(40)]
    Membership.objects.bulk_create(
        Membership(user=u, cohort=cohort, role=Role.STUDENT) for u in loaded
    )
    assert not RecordKey.objects.filter(student__in=loaded).exists()
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115
    key = dict(RecordKey.objects.values_list("student_id", "value"))
    assert key[first.pk] == before
    drawn = [key[u.pk] for u in loaded]
    assert all(0 <= k < KEY_MODULUS for k in drawn) and len(set(drawn)) > 30
    enrolment = CohortEnrolment.objects.get(cohort=cohort)
    assert (enrolment.students, enrolment.key_sum) == (41, before + sum(drawn))


def test_a_rebuild_leaves_the_tables_as_the_migrations_made_them(record, competences, region):
    """PostgreSQL: the rebuild refills the big tables without their indexes and builds
    them again; afterwards every index, key, unique constraint and sequence setting is
    back as it was, the work tables are gone, and a second rebuild gives the same rows."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the indexes are dropped and rebuilt on PostgreSQL only")
    _cohort, students = cohort_with_students(school(region), 3)
    for n, s in enumerate(students):
        record(s, competences[n], level=2 + n, when=months_ago(n))
    tables = [m._meta.db_table for m in (MasteryRollup, CohortMonthlyActivity)]

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE tablename = ANY(%s) ORDER BY 1, 2",
                [tables],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                [tables],
            )
            constraints = cursor.fetchall()
            # the id sequences' settings (the tables keyed by their columns have none)
            cursor.execute(
                "SELECT c.relname, (SELECT s.seqcache FROM pg_sequence s WHERE s.seqrelid = "
                "pg_get_serial_sequence(c.relname, 'id')::regclass) FROM pg_class c "
                "WHERE c.relname = ANY(%s) AND EXISTS (SELECT 1 FROM pg_attribute a "
                "WHERE a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped) "
                "ORDER BY 1",
                [tables],
            )
            caches = cursor.fetchall()
            # the work tables (the staged activity, institution table and cube) are gone
            cursor.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_class WHERE relname LIKE '%%\\_staged')"
            )
            return indexes, constraints, caches, cursor.fetchone()[0]

    before, incremental = schema(), snapshot()
    assert before[0] and before[1] and before[2] and before[3]
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert schema() == before
    assert snapshot() == incremental
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert schema() == before and snapshot() == incremental


def test_a_deleted_cohort_takes_its_figures_out_of_every_sum(
    record, competences, region, django_capture_on_commit_callbacks, eager
):
    """Deleting a cohort (its memberships and figures go with it) leaves the institution,
    region and country sums as a rebuild makes them: nothing of it is left behind, in the
    levels, the activity, the enrolment or the course completions."""
    from django.utils import timezone

    from courses.models import CourseProgress
    from reports.models import CohortMonthlyCompletion
    from reports.rollups import completion_refresh
    from tests.courses.pages import course

    institution = school(region)
    (_kept, kept_students), (gone, gone_students) = (
        cohort_with_students(institution, 4),
        cohort_with_students(institution, 5),
    )
    c = course()
    for n, s in enumerate(kept_students + gone_students):
        record(s, competences[n % 3], level=1 + n % 4, when=months_ago(n % 3))
        CourseProgress.objects.create(
            student=s,
            course=c,
            lessons_total=2,
            lessons_completed=2,
            percent=100,
            completed_at=timezone.now(),
        )
    completion_refresh()
    assert CohortMonthlyCompletion.objects.filter(cohort=gone).exists()
    with django_capture_on_commit_callbacks(execute=True):
        gone.delete()
    completion_refresh()  # the beat task, ten minutes later
    incremental = snapshot()
    assert incremental["region_completion"] and incremental["region_enrolment"]
    call_command("rebuild_mastery", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == incremental


# Real commits: two connections, the data of the migrations restored after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_key_drawn_while_a_rebuild_draws_the_missing_ones_stays(region):
    """PostgreSQL: the rebuild draws the missing keys in one plain insert. A key drawn
    meanwhile for one of those students (a membership change on another connection,
    committed while the insert waits on it) makes that insert fail; the draw then keeps
    that key and draws the others, and nothing is drawn twice."""
    if connection.vendor != "postgresql":
        pytest.skip("two connections waiting on each other: PostgreSQL")
    _cohort, students = cohort_with_students(school(region), 3)
    RecordKey.objects.filter(student__in=students).delete()  # as if loaded in bulk
    began, waited = threading.Event(), []

    def membership_change() -> None:
        try:
            with transaction.atomic():
                RecordKey.objects.create(student=students[1], value=4242)
                began.set()
                # commit once the rebuild's insert waits on this key
                with connection.cursor() as cursor:
                    if another_waits_on_a_lock(cursor):
                        waited.append(True)
        finally:
            began.set()
            connection.close()

    other = threading.Thread(target=membership_change)
    other.start()
    assert began.wait(10)
    drawn = keys.record_keys_fill()
    other.join(15)
    assert waited == [True]  # the insert did wait on the other connection's key
    key = dict(RecordKey.objects.filter(student__in=students).values_list("student_id", "value"))
    assert key.keys() == {s.pk for s in students}
    assert key[students[1].pk] == 4242
    assert drawn == 2
