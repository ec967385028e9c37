"""The run API: a student's "Run" and "Check" of their answers (grading.runs).

    POST /api/v1/exercises/<id>/runs/  {"answers": {grade_id: source}, "upto", "kind"}
        -> 201 {"id", "status": "queued", "url"}
    GET  /api/v1/runs/<uuid>/          -> the run: status, error, elapsed_s, cells, tests
    POST /api/v1/runs/<uuid>/stop/     -> 202, the run ended ("failed", "Stopped")

Only the run's owner sees it (404 for anyone else). A run is not a submission.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lms.api.errors import error_response

from . import access, runs
from .api import AnswersField, answers_body, not_enrolled
from .models import ExerciseRun

# ---------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------


class RunRequestSerializer(serializers.Serializer):
    answers = AnswersField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        default=dict,
        help_text="answer cells as typed: {grade_id: source}; a cell left out keeps the "
        "handed-out text",
    )
    upto = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=200,
        help_text="run from the top up to and including this cell (its grade_id); "
        "empty: every cell",
    )
    kind = serializers.ChoiceField(
        choices=ExerciseRun.Kind.choices,
        default=ExerciseRun.Kind.RUN,
        help_text="run: the cells; check: every cell, and the visible tests' results",
    )


class RunCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ExerciseRun.Status.choices)
    url = serializers.CharField(help_text="where to read the run (GET)")


class StreamOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["stream"])
    name = serializers.ChoiceField(choices=["stdout", "stderr"])
    text = serializers.CharField()


class ErrorOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["error"])
    ename = serializers.CharField()
    evalue = serializers.CharField()
    traceback = serializers.CharField(help_text="plain text, terminal colour codes removed")


class ImageOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["image"])
    mime = serializers.ChoiceField(choices=list(runs.IMAGE_MIMETYPES))
    data = serializers.CharField(help_text="base64; show it as an image, never inline an SVG")


class HtmlOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["html"])
    html = serializers.CharField(help_text="a table, cleaned: table markup and text only")


class TextOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["text"])
    text = serializers.CharField()


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="RunOutput",
        serializers={
            "stream": StreamOutputSerializer,
            "error": ErrorOutputSerializer,
            "image": ImageOutputSerializer,
            "html": HtmlOutputSerializer,
            "text": TextOutputSerializer,
        },
        resource_type_field_name="type",
    )
)
class RunOutputField(serializers.JSONField):
    """One output of a cell, as grading.runs.convert_outputs made it."""


class RunCellSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="the cell's position in the student notebook")
    grade_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=list(runs.CELL_STATUSES))
    outputs = serializers.ListField(child=RunOutputField())


class RunTestSerializer(serializers.Serializer):
    grade_id = serializers.CharField()
    passed = serializers.BooleanField()
    message = serializers.CharField(
        allow_blank=True, help_text="the assertion's message or the error; empty if passed"
    )


class RunSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uid")
    kind = serializers.ChoiceField(choices=ExerciseRun.Kind.choices)
    status = serializers.ChoiceField(choices=ExerciseRun.Status.choices)
    upto = serializers.CharField(allow_blank=True)
    error = serializers.CharField(
        allow_blank=True, help_text="why the run stopped early or failed; empty if it did not"
    )
    elapsed_s = serializers.SerializerMethodField(help_text="from the request to its end (or now)")
    cells = serializers.SerializerMethodField()
    tests = serializers.SerializerMethodField(help_text="a check's visible tests; else empty")

    @extend_schema_field(serializers.FloatField())
    def get_elapsed_s(self, run: ExerciseRun) -> float:
        return runs.run_elapsed(run)

    @extend_schema_field(RunCellSerializer(many=True))
    def get_cells(self, run: ExerciseRun) -> list:
        return RunCellSerializer(runs.run_cells(run), many=True).data

    @extend_schema_field(RunTestSerializer(many=True))
    def get_tests(self, run: ExerciseRun) -> list:
        return RunTestSerializer(runs.run_tests(run), many=True).data


# ---------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------


class ExerciseRunsView(generics.GenericAPIView):
    """Run your answers to an exercise in the sandbox (not a submission: no attempt, no
    score). Poll the run's `url` for its outputs."""

    serializer_class = RunRequestSerializer
    throttle_scope = "runs"

    def get_queryset(self):
        return access.visible_exercises(self.request.user)

    @extend_schema(
        operation_id="exercises_runs_create",
        request=RunRequestSerializer,
        responses={201: RunCreatedSerializer},
    )
    def post(self, request, pk=None):
        exercise = get_object_or_404(self.get_queryset(), pk=pk)
        if not (
            access.may_submit(request.user, exercise) or access.may_manage(request.user, exercise)
        ):
            return not_enrolled()
        data, refusal = answers_body(request)
        if refusal is not None:
            return refusal
        form = RunRequestSerializer(data=data)
        form.is_valid(raise_exception=True)
        try:
            run = runs.run_create(
                exercise=exercise,
                student=request.user,
                answers=form.validated_data["answers"],
                upto=form.validated_data["upto"],
                kind=form.validated_data["kind"],
            )
        except runs.RunRefused as exc:
            if exc.too_many:
                return error_response(
                    status.HTTP_429_TOO_MANY_REQUESTS, "too_many_runs", exc.message
                )
            return error_response(status.HTTP_400_BAD_REQUEST, "run_refused", exc.message)
        body = {
            "id": run.uid,
            "status": run.status,
            "url": reverse("api:run-detail", kwargs={"uid": run.uid}),
        }
        return Response(RunCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class RunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your runs: status and outputs per cell (poll while queued or running), and Stop."""

    serializer_class = RunSerializer
    lookup_field = "uid"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        if not self.request.user.is_authenticated:
            return ExerciseRun.objects.none()
        return ExerciseRun.objects.filter(student=self.request.user)

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request, uid=None):
        """End the run at once (it fails with "Stopped"); a finished run stays as it is."""
        run = runs.run_stop(run=self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
