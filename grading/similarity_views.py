"""The teacher's pages of similar submissions: ranked pairs of an exercise, "Check now", and
two answers side by side. For the exercise's teachers only (403 for anyone else); a pair
whose two submissions the teacher may not both see is a 404, as one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, selectors, similarity
from .models import Exercise
from .notebook.similarity import segments


def _managed_exercise(request: HttpRequest, pk: int) -> Exercise:
    exercise = get_object_or_404(Exercise.objects.only("pk", "title"), pk=pk)
    if not access.may_manage(request.user, exercise):
        raise PermissionDenied(_("Only the exercise's teachers can open this page."))
    return exercise


@login_required
def similarity_pairs(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    latest = similarity.latest_check(exercise=exercise)
    results = similarity.results_check(exercise=exercise)
    pairs = (
        list(similarity.visible_pairs(check=results, user=request.user))
        if results is not None
        else []
    )
    students = [p.first.student for p in pairs] + [p.second.student for p in pairs]
    return render(
        request,
        "grading/similarity/pairs.html",
        {
            "exercise": exercise,
            "latest": latest,
            "results": results,
            "pairs": pairs,
            "namesakes": selectors.namesakes({s.pk: s for s in students}.values()),
        },
    )


@login_required
@require_POST
def similarity_check(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    similarity.check_start(exercise=exercise, requested_by=request.user)
    messages.success(
        request, _("The submissions are being compared. This page shows the pairs when it ends.")
    )
    return redirect("grading:similarity", pk=exercise.pk)


@login_required
def similarity_pair(request: HttpRequest, pk: int, pair_pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    pair = similarity.visible_pair(exercise=exercise, pair_id=pair_pk, user=request.user)
    if pair is None:
        raise Http404(_("There is no such pair."))
    return render(
        request,
        "grading/similarity/pair.html",
        {
            "exercise": exercise,
            "pair": pair,
            "first_segments": segments(pair.first_code, pair.first_spans),
            "second_segments": segments(pair.second_code, pair.second_spans),
        },
    )
