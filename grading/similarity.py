"""Similarity checks of an exercise: which submissions are compared, starting a check,
running it in the background, storing its ranked pairs, and what a teacher may see.

One submission per student: the latest attempt, whatever its grading status. The latest
is what the student last stood behind (an honest first attempt followed by a copied one
must show), and a submission that could not be graded still holds code that was handed
in; the best graded attempt would hide a copy that scored less.

Pairs are for teachers only: nothing here is read by a student page or API, and a
teacher sees a pair only when both submissions are among those they may see
(`access.visible_submissions`), so a cross-cohort pair is shown to staff and to teachers
of both cohorts, never the other cohort's code to someone who may not read it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from people.models import User

from . import access, queue
from .models import Exercise, SimilarityCheck, SimilarPair, Submission
from .notebook import similarity

log = logging.getLogger("grading")


def similarity_parameters() -> similarity.SimilarityParameters:
    """The comparison's parameters from the settings (GRADING_SIMILARITY_*)."""
    return similarity.SimilarityParameters(
        k=settings.GRADING_SIMILARITY_K,
        window=settings.GRADING_SIMILARITY_WINDOW,
        threshold=settings.GRADING_SIMILARITY_THRESHOLD,
        max_pairs=settings.GRADING_SIMILARITY_MAX_PAIRS,
    )


def _stale_before() -> dt.datetime:
    """A check still pending since before this was lost (its worker died, the broker
    dropped it): another may be started, and a redelivered task may take it over."""
    return timezone.now() - dt.timedelta(seconds=settings.GRADING_SIMILARITY_STALE_AFTER)


# ---------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------


def latest_submissions(*, exercise: Exercise) -> QuerySet[Submission]:
    """Each student's latest attempt at the exercise (see the module's docstring)."""
    latest = (
        Submission.objects.filter(exercise=exercise, student=OuterRef("student"))
        .order_by("-attempt")
        .values("pk")[:1]
    )
    return Submission.objects.filter(exercise=exercise, pk=Subquery(latest)).order_by("pk")


def latest_check(*, exercise: Exercise) -> SimilarityCheck | None:
    """The exercise's newest check, whatever its status (what the status line shows)."""
    return SimilarityCheck.objects.filter(exercise=exercise).first()


def results_check(*, exercise: Exercise) -> SimilarityCheck | None:
    """The check whose pairs are shown: the one that finished last."""
    return (
        SimilarityCheck.objects.filter(exercise=exercise, status=SimilarityCheck.Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )


def visible_pairs(*, check: SimilarityCheck, user: User) -> QuerySet[SimilarPair]:
    """The check's pairs whose two submissions `user` may both see, most alike first."""
    pairs = SimilarPair.objects.filter(check_run=check).select_related(
        "first__student", "second__student"
    )
    if not user.is_staff:
        visible = access.visible_submissions(user).values("pk")
        pairs = pairs.filter(first__in=visible, second__in=visible)
    return pairs.defer("first__notebook", "second__notebook").order_by("rank")


def visible_pair(*, exercise: Exercise, pair_id: int, user: User) -> SimilarPair | None:
    """A pair of the exercise's shown results that `user` may see, or None."""
    check = results_check(exercise=exercise)
    if check is None:
        return None
    return visible_pairs(check=check, user=user).filter(pk=pair_id).first()


# ---------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------


def check_start(*, exercise: Exercise, requested_by: User | None = None) -> SimilarityCheck:
    """Queue a check of the exercise, after commit. A check already queued or running (and
    not lost) is returned instead: two clicks, or a click and the schedule, compare once."""
    with transaction.atomic():
        # one starter at a time per exercise: the pending check below is then certain
        Exercise.objects.select_for_update().filter(pk=exercise.pk).first()
        pending = (
            SimilarityCheck.objects.filter(
                exercise=exercise,
                status__in=(SimilarityCheck.Status.QUEUED, SimilarityCheck.Status.RUNNING),
                created_at__gte=_stale_before(),
            )
            .order_by("-created_at")
            .first()
        )
        if pending is not None:
            return pending
        parameters = similarity_parameters()
        check = SimilarityCheck.objects.create(
            exercise=exercise,
            requested_by=requested_by,
            parameters={
                "k": parameters.k,
                "window": parameters.window,
                "threshold": parameters.threshold,
                "max_pairs": parameters.max_pairs,
            },
        )
        queue.similarity_check_queue(check_id=check.pk)
    return check


def due_checks_start() -> list[SimilarityCheck]:
    """Start a check for each exercise whose deadline has passed and that has had no check
    since it (one each: a check created after the deadline, on demand or by this, counts;
    a deadline moved later makes the exercise due again). Exercises with fewer than two
    students who submitted have nothing to compare and are left alone."""
    checked_since = SimilarityCheck.objects.filter(
        exercise=OuterRef("pk"), created_at__gte=OuterRef("due_at")
    )
    due = (
        Exercise.objects.filter(due_at__isnull=False, due_at__lte=timezone.now())
        .exclude(Exists(checked_since))
        .annotate(students=Count("submissions__student", distinct=True))
        .filter(students__gte=2)
        .only("pk")
    )
    return [check_start(exercise=exercise) for exercise in due]


def check_run(*, check_id: int) -> None:
    """Compare the latest submissions of the check's exercise and store the ranked pairs,
    replacing those of every earlier check of the exercise.

    Run twice, the second run finds the check done (or being run) and does nothing; a run
    redelivered after its worker died takes a check left RUNNING once it is stale, and
    starts it over."""
    check = _claim(check_id)
    if check is None:
        return
    exercise = check.exercise
    try:
        submissions = list(latest_submissions(exercise=exercise).only("pk", "notebook"))
        released = exercise.student_notebook or {}
        answers = {s.pk: similarity.answer_code(s.notebook, released) for s in submissions}
        SimilarityCheck.objects.filter(pk=check.pk).update(submissions_compared=len(answers))
        pairs = similarity.similar_pairs(
            answers,
            starter=similarity.starter_code(released),
            language=similarity.notebook_language(released),
            parameters=similarity.SimilarityParameters(**check.parameters)
            if check.parameters
            else similarity_parameters(),
            progress=_progress_writer(check.pk),
        )
    except Exception as exc:  # a check that fails says so on the page, and nothing is lost
        log.exception("similarity check %s of exercise %s failed", check.pk, exercise.pk)
        SimilarityCheck.objects.filter(pk=check.pk).update(
            status=SimilarityCheck.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return
    _store(check, pairs, answers)


def _claim(check_id: int) -> SimilarityCheck | None:
    """Mark the check RUNNING for this run, or None when there is nothing to do."""
    with transaction.atomic():
        check = (
            SimilarityCheck.objects.select_for_update()
            .select_related("exercise")
            .filter(pk=check_id)
            .first()
        )
        if check is None or check.status in (
            SimilarityCheck.Status.DONE,
            SimilarityCheck.Status.FAILED,
        ):
            return None
        if check.status == SimilarityCheck.Status.RUNNING and (
            check.started_at is not None and check.started_at >= _stale_before()
        ):
            return None  # another worker is at it
        check.status = SimilarityCheck.Status.RUNNING
        check.started_at = timezone.now()
        check.progress = 0
        check.save(update_fields=["status", "started_at", "progress"])
    return check


def _progress_writer(check_id: int):
    last = {"percent": -1}

    def write(done: int, total: int) -> None:
        percent = min(int(100 * done / total) if total else 100, 99)  # 100: stored
        if percent != last["percent"]:
            last["percent"] = percent
            SimilarityCheck.objects.filter(pk=check_id).update(progress=percent)

    return write


def _store(
    check: SimilarityCheck, pairs: list[similarity.SimilarPair], answers: dict[int, str]
) -> None:
    """The check's pairs become the exercise's only ones, in one transaction."""
    with transaction.atomic():
        SimilarPair.objects.filter(check_run__exercise_id=check.exercise_id).delete()
        SimilarPair.objects.bulk_create(
            SimilarPair(
                check_run=check,
                rank=rank,
                first_id=pair.first,
                second_id=pair.second,
                first_similarity=pair.first_similarity,
                second_similarity=pair.second_similarity,
                similarity=pair.similarity,
                overlap=pair.overlap,
                first_code=answers[pair.first],
                second_code=answers[pair.second],
                first_spans=[list(span) for span in pair.first_spans],
                second_spans=[list(span) for span in pair.second_spans],
            )
            for rank, pair in enumerate(pairs, start=1)
        )
        SimilarityCheck.objects.filter(pk=check.pk).update(
            status=SimilarityCheck.Status.DONE,
            progress=100,
            pairs_found=len(pairs),
            finished_at=timezone.now(),
            error="",
        )
