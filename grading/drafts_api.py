"""The drafts API: a student's unsubmitted answers to an exercise, saved as they type.

    GET    /api/v1/exercises/<id>/draft/   the answers to show (the draft, or the original)
    PUT    /api/v1/exercises/<id>/draft/   {"answers": {grade_id: source}}: save the draft
    DELETE /api/v1/exercises/<id>/draft/   "Reset to the original": forget the draft

Same rights as submitting: an enrolled student of a ready exercise (`access.may_submit`);
an exercise the user cannot see at all is a 404, one they may see but not answer (a
teacher) a 403. The answers are checked by `grading.drafts` (known answer cells, text,
1 MB together); a refusal is a 400 that says why, and nothing is stored then.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from lms.api.errors import error_response

from . import access, drafts
from .api import answers_body
from .models import Exercise


class DraftAnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        help_text="the answer cells: {grade_id: source}, as for a submission; "
        "at most 1 MB together",
    )


class DraftSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        help_text="{grade_id: source} of every answer cell: the draft's, else the original",
    )
    saved = serializers.BooleanField(help_text="whether a draft is stored (false: the original)")
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="when the draft was last saved; null without a draft"
    )


def _body(*, exercise: Exercise, draft) -> dict:
    answers = drafts.original_answers(exercise=exercise)
    if draft is not None:
        answers.update({k: v for k, v in draft.answers.items() if k in answers})
    return {
        "answers": answers,
        "saved": draft is not None,
        "updated_at": serializers.DateTimeField().to_representation(draft.updated_at)
        if draft is not None
        else None,
    }


EXERCISE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the exercise's id"
)


class ExerciseDraftView(APIView):
    """Your draft of an exercise (students enrolled in its course)."""

    # JSON only, with the API's depth limit (the first of the configured parsers)
    parser_classes = [
        parser
        for parser in api_settings.DEFAULT_PARSER_CLASSES
        if parser.media_type == "application/json"
    ]

    def _exercise(self, request, pk):
        """The exercise if the user may answer it; else the refusal to send."""
        exercise = get_object_or_404(access.visible_exercises(request.user), pk=pk)
        if not access.may_submit(request.user, exercise):
            return None, error_response(
                status.HTTP_403_FORBIDDEN,
                "permission_denied",
                _("Only students enrolled in the course of this exercise have drafts."),
            )
        return exercise, None

    @extend_schema(parameters=[EXERCISE_ID], responses={200: DraftSerializer})
    def get(self, request, id):
        """The answers to show: your draft, or the released notebook's if you have none."""
        exercise, refusal = self._exercise(request, id)
        if refusal:
            return refusal
        draft = drafts.draft_get(exercise=exercise, student=request.user)
        return Response(_body(exercise=exercise, draft=draft))

    @extend_schema(
        parameters=[EXERCISE_ID], request=DraftAnswersSerializer, responses={200: DraftSerializer}
    )
    def put(self, request, id):
        """Save your answers as the draft (replacing the previous one); nothing is graded."""
        exercise, refusal = self._exercise(request, id)
        if refusal:
            return refusal
        data, refusal = answers_body(request)
        if refusal is not None:
            return refusal
        if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
            # DictField would read a list of pairs as an object; the schema says object
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                "invalid",
                _('Send the answers as a JSON object: {"answers": {grade_id: source}}.'),
            )
        try:
            draft = drafts.draft_save(
                exercise=exercise, student=request.user, answers=data["answers"]
            )
        except drafts.DraftRefused as exc:
            return error_response(status.HTTP_400_BAD_REQUEST, exc.code, exc.message)
        return Response(_body(exercise=exercise, draft=draft))

    @extend_schema(parameters=[EXERCISE_ID], request=None, responses={200: DraftSerializer})
    def delete(self, request, id):
        """Reset to the original: forget your draft; answers the released notebook's."""
        exercise, refusal = self._exercise(request, id)
        if refusal:
            return refusal
        drafts.draft_delete(exercise=exercise, student=request.user)
        return Response(_body(exercise=exercise, draft=None))


# An id a database column can hold (lms.api.schema.ID_REGEX): anything else is the API's
# JSON 404 of an unknown URL, before a query sees it.
urlpatterns = [
    re_path(
        r"^exercises/(?P<id>[0-9]{1,18})/draft/$",
        ExerciseDraftView.as_view(),
        name="exercise-draft",
    ),
]
