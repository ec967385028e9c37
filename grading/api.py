"""The grading API: exercises, submissions (upload or browser answers), live status."""

from __future__ import annotations

import json
import tempfile
import zipfile

import nbformat
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lms.api.errors import error_response

from . import access, completion, services
from .models import (
    CellResult,
    Exercise,
    ExerciseCellCompetence,
    ExerciseFile,
    RegradeJob,
    Submission,
)
from .notebook.errors import NotebookError


def not_enrolled() -> Response:
    """The 403 of an answers endpoint (submit, runs) for someone outside the course."""
    return error_response(
        status.HTTP_403_FORBIDDEN,
        "permission_denied",
        _("You are not enrolled in the course of this exercise."),
    )


def answers_body(request) -> tuple[object, Response | None]:
    """The request's parsed body, or the 400 that says it is over the upload limit (the
    submit, run and draft endpoints all take a student's answers)."""
    try:
        return request.data, None
    except RequestDataTooBig:
        return None, error_response(
            status.HTTP_400_BAD_REQUEST,
            "too_large",
            _("The answers are too large to be sent at once (at most %(size)s MB).")
            % {"size": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024):g}"},
        )


class CompetenceLinkSerializer(serializers.ModelSerializer):
    framework = serializers.CharField(source="competence.area.framework.slug")
    code = serializers.CharField(source="competence.code")
    name = serializers.CharField(source="competence.name")

    class Meta:
        model = ExerciseCellCompetence
        fields = ["grade_id", "framework", "code", "name", "level"]


class ExerciseSerializer(serializers.ModelSerializer):
    """What students and teachers see of an exercise: never the source notebook."""

    course = serializers.CharField(
        source="course.title", default=None, read_only=True, allow_null=True
    )
    competences = CompetenceLinkSerializer(source="competence_links", many=True, read_only=True)

    class Meta:
        model = Exercise
        fields = [
            "id",
            "slug",
            "title",
            "description",
            "course",
            "status",
            "max_score",
            "max_attempts",
            "due_at",
            "late_policy",
            "late_penalty_percent",
            "competences",
        ]


class CellResultSerializer(serializers.ModelSerializer):
    score = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = CellResult
        fields = ["grade_id", "status", "score", "max_score", "message", "comment"]


class OutcomeSerializer(serializers.Serializer):
    """How a graded attempt stands by the passing rule (grading.completion)."""

    passed = serializers.BooleanField(help_text="passed by its auto-graded points")
    auto_score = serializers.FloatField(allow_null=True, help_text="auto-graded points earned")
    auto_max_score = serializers.FloatField(allow_null=True, help_text="auto-graded points")
    needed = serializers.FloatField(help_text="points that pass (the teacher's pass mark)")
    awaiting_teacher = serializers.FloatField(help_text="points of cells awaiting a teacher")
    summary = serializers.CharField(
        help_text="for the student: “Auto-graded: passed. 2 points await your teacher.”"
    )


class SubmissionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uid", read_only=True)
    exercise = serializers.PrimaryKeyRelatedField(read_only=True)
    student = serializers.CharField(source="student.username", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    origin_display = serializers.CharField(source="get_origin_display", read_only=True)
    cells = CellResultSerializer(many=True, read_only=True)
    outcome = serializers.SerializerMethodField()
    feedback_url = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "exercise",
            "student",
            "attempt",
            "origin",
            "origin_display",
            "status",
            "status_display",
            "failure_reason",
            "submitted_at",
            "graded_at",
            "grading_seconds",
            "is_late",
            "total",
            "max_total",
            "needs_manual",
            "notes",
            "cells",
            "outcome",
            "feedback_url",
        ]

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, submission):
        """Graded attempts only: null before."""
        outcome = completion.submission_outcome(submission)
        return outcome.to_dict() if outcome else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_feedback_url(self, submission) -> str | None:
        """The feedback page in the site (graded attempts only)."""
        if submission.status != Submission.Status.GRADED:
            return None
        return reverse("grading:submission-feedback", args=[submission.exercise_id, submission.uid])


class AnswersField(serializers.DictField):
    """A JSON object; a multipart form sends it as one text field holding JSON."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            raw = dictionary.get(self.field_name)
            try:
                return json.loads(raw)
            except (TypeError, ValueError, RecursionError):  # RecursionError: nested too deeply
                return raw  # not a dictionary: to_internal_value says so
        return super().get_value(dictionary)


class SubmitSerializer(serializers.Serializer):
    notebook = serializers.FileField(required=False, help_text="the .ipynb file (multipart)")
    answers = AnswersField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="answer cells typed in the browser: {grade_id: source}",
    )

    def validate(self, attrs):
        if bool(attrs.get("notebook")) == bool(attrs.get("answers")):
            raise serializers.ValidationError(
                _("Send either a notebook file or the answers, not both and not neither.")
            )
        return attrs


class ExerciseViewSet(viewsets.ReadOnlyModelViewSet):
    """Exercises the user may solve (students) or manage (teachers)."""

    serializer_class = ExerciseSerializer
    throttle_scope = None  # an action names its own ("submissions")
    filterset_fields = ["status", "course"]
    search_fields = ["title", "slug"]

    def get_queryset(self):
        return (
            access.visible_exercises(self.request.user)
            .select_related("course")
            .prefetch_related("competence_links__competence__area__framework")
            .order_by("title")
        )

    @extend_schema(
        responses={
            (200, "application/x-ipynb+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The notebook (nbformat 4), as a download."
            ),
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="An exercise with data files: the notebook and its files, zipped "
                "in one folder, the files at the paths the notebook opens them by.",
            ),
        }
    )
    @action(detail=True, methods=["get"])
    def notebook(self, request, pk=None):
        """The student version to download: solutions and hidden tests removed. With its
        data files (a CSV it reads...), a zip of one folder holding the notebook and them."""
        exercise = self.get_object()
        body = nbformat.writes(nbformat.from_dict(exercise.student_notebook))
        name = slugify(exercise.slug) or "exercise"
        files = ExerciseFile.objects.filter(exercise=exercise).only("path", "content")
        if not files.exists():
            response = HttpResponse(body, content_type="application/x-ipynb+json")
            response["Content-Disposition"] = f'attachment; filename="{name}.ipynb"'
            return response
        archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            zipped.writestr(f"{name}/{name}.ipynb", body)
            for data_file in files.iterator(chunk_size=1):  # one file's content in memory
                zipped.writestr(f"{name}/{data_file.path}", bytes(data_file.content))
        archive.seek(0)
        return FileResponse(
            archive, as_attachment=True, filename=f"{name}.zip", content_type="application/zip"
        )

    @extend_schema(request=SubmitSerializer, responses={201: SubmissionSerializer})
    # The default parsers: JSON (with the API's depth limit), form and multipart.
    @action(detail=True, methods=["post"], throttle_scope="submissions")
    def submit(self, request, pk=None):
        """Hand in an attempt; grading starts at once. Poll the submission for its result."""
        exercise = self.get_object()
        if not access.may_submit(request.user, exercise):
            return not_enrolled()
        data, refusal = answers_body(request)
        if refusal is not None:
            return refusal
        form = SubmitSerializer(data=data)
        form.is_valid(raise_exception=True)
        try:
            if form.validated_data.get("notebook"):
                submission = services.submission_create(
                    exercise=exercise,
                    student=request.user,
                    notebook=form.validated_data["notebook"].read(),
                    origin=Submission.Origin.UPLOAD,
                )
            else:
                submission = services.submission_from_answers(
                    exercise=exercise, student=request.user, answers=form.validated_data["answers"]
                )
        except NotebookError as exc:
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                "invalid_notebook",
                _("The notebook cannot be graded: %(reason)s") % {"reason": exc.problems[0]},
                errors={"notebook": list(exc.problems)},
            )
        except services.SubmissionRefused as exc:
            return error_response(status.HTTP_400_BAD_REQUEST, "submission_refused", exc.message)
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your submissions (students) or those of your cohorts (teachers), with live status."""

    serializer_class = SubmissionSerializer
    lookup_field = "uid"
    throttle_scope = None  # an action names its own ("submissions")
    filterset_fields = ["exercise", "status"]
    ordering_fields = ["submitted_at", "total"]

    def get_queryset(self):
        return (
            access.visible_submissions(self.request.user)
            .select_related("student", "exercise")
            .prefetch_related("cells")
            .order_by("-submitted_at")
        )

    @extend_schema(
        responses={
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="An HTML page.")
        }
    )
    @action(detail=True, methods=["get"])
    def feedback(self, request, uid=None):
        """The feedback page: the student's notebook with results, without hidden tests."""
        submission = self.get_object()
        response = HttpResponse(submission.feedback_html, content_type="text/html; charset=utf-8")
        # The page shows student output: no scripts of its own may run with our cookies.
        response["Content-Security-Policy"] = "script-src 'none'; sandbox allow-same-origin"
        response["X-Frame-Options"] = "SAMEORIGIN"  # shown in the platform's own pages
        return response

    @extend_schema(request=None, responses={202: SubmissionSerializer})
    @action(detail=True, methods=["post"], throttle_scope="submissions")
    def regrade(self, request, uid=None):
        """Grade this submission again (teachers of the exercise)."""
        submission = self.get_object()
        if not access.may_manage(request.user, submission.exercise):
            return error_response(
                status.HTTP_403_FORBIDDEN,
                "permission_denied",
                _("Only the exercise's teachers can regrade submissions."),
            )
        submission = services.submission_regrade(submission=submission)
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_202_ACCEPTED)


class RegradeJobViewSet(viewsets.GenericViewSet):
    """Progress of a bulk regrade (for the progress bar)."""

    queryset = RegradeJob.objects.all()

    @extend_schema(
        responses=inline_serializer(
            "RegradeProgress",
            {
                "total": serializers.IntegerField(),
                "done": serializers.IntegerField(),
                "failed": serializers.IntegerField(),
                "percent": serializers.IntegerField(),
            },
        )
    )
    def retrieve(self, request, pk=None):
        job = get_object_or_404(RegradeJob.objects.select_related("exercise"), pk=pk)
        if not access.may_manage(request.user, job.exercise):
            return error_response(status.HTTP_404_NOT_FOUND, "not_found", _("No such regrade."))
        progress = services.regrade_progress(job=job)
        return Response(
            {
                "total": progress.total,
                "done": progress.done,
                "failed": progress.failed,
                "percent": progress.percent,
            }
        )
