"""The courses API: the catalogue, my enrolments and progress, a cohort's progress (its
teachers only), and answering quiz questions (checked on the server)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from cms.pagecache import PAGES
from cms.translation import active_language, in_language, url_in_language
from lms.api.errors import error_response
from people import panels
from people.models import Cohort, Track

from . import access, selectors, services
from .models import CourseAssignment, CoursePage, LessonPage

# ---------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------


class CourseSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The course's id (the original of its translations).")
    title = serializers.SerializerMethodField(help_text="In the request's language if translated.")
    slug = serializers.CharField()
    summary = serializers.SerializerMethodField()
    level = serializers.CharField()
    language = serializers.CharField(help_text="Language of instruction.")
    track = serializers.CharField(help_text="school, university or scholarship.")
    estimated_hours = serializers.IntegerField()
    is_open = serializers.BooleanField(help_text="Students may enrol themselves.")
    url = serializers.SerializerMethodField()

    def _shown(self, course):
        return self.context.get("shown", {}).get(course.pk, course)

    def get_title(self, course) -> str:
        return self._shown(course).title

    def get_summary(self, course) -> str:
        return self._shown(course).summary

    def get_url(self, course) -> str:
        return url_in_language(self._shown(course))


class EnrolmentSerializer(serializers.Serializer):
    course = serializers.IntegerField(source="course.pk")
    title = serializers.CharField(source="course.title")
    url = serializers.CharField(source="course.url")
    percent = serializers.IntegerField()
    lessons_completed = serializers.IntegerField()
    lessons_total = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    next_lesson = serializers.CharField(source="next_lesson.title", allow_null=True, default=None)


class SkillSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    framework = serializers.CharField()
    percent = serializers.IntegerField(help_text="Mean score of the evidence, 0-100.")
    level = serializers.IntegerField(allow_null=True, help_text="Highest level shown fully.")
    evidence = serializers.IntegerField(help_text="Questions and graded cells that count.")


@extend_schema_serializer(many=False)  # one object, although the view is a "list"
class MyProgressSerializer(serializers.Serializer):
    courses = EnrolmentSerializer(many=True)
    skills = SkillSerializer(many=True)


class CohortProgressRowSerializer(serializers.Serializer):
    username = serializers.CharField(source="student.username")
    first_name = serializers.CharField(source="student.first_name")
    last_name = serializers.CharField(source="student.last_name")
    percent = serializers.IntegerField()
    completed = serializers.IntegerField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    behind = serializers.BooleanField()
    lessons = serializers.SerializerMethodField()

    def get_lessons(self, row) -> list[dict]:
        return [{"status": c.status, "quiz_percent": c.quiz_percent} for c in row.cells]


class CohortProgressSerializer(serializers.Serializer):
    cohort = serializers.CharField(source="cohort.code")
    course = serializers.IntegerField(source="course.pk")
    course_title = serializers.CharField(source="course.title")
    lessons = serializers.SerializerMethodField()
    expected_percent = serializers.IntegerField(allow_null=True)
    average_percent = serializers.IntegerField()
    students = CohortProgressRowSerializer(source="rows", many=True)

    def get_lessons(self, table) -> list[dict]:
        return [{"id": lesson.pk, "title": lesson.title} for lesson in table.lessons]


# The largest id the API takes, as in its URLs (lms/api/schema.py): a larger number is a
# 400 on every database (SQLite cannot even compare it).
ID_MAX = 10**18 - 1


class QuizAnswerSerializer(serializers.Serializer):
    lesson = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="The lesson page's id (any translation of it)."
    )
    question = serializers.CharField(max_length=64, help_text="The question's id.")
    answer = serializers.ListField(
        child=serializers.CharField(max_length=200),
        allow_empty=False,
        help_text="Choice ids (single / multiple choice), or one number as text.",
    )


class QuizAnswerResultSerializer(serializers.Serializer):
    correct = serializers.BooleanField()
    explanation = serializers.CharField(
        allow_blank=True,
        help_text="The question's explanation, once the quiz allows it (after a right answer "
        "or after the last attempt, as the teacher chose); empty before.",
    )
    attempts_left = serializers.IntegerField(
        allow_null=True, help_text="Checks of this question left; null: no limit."
    )
    quiz_score = serializers.FloatField(allow_null=True, help_text="Lesson's quiz score, 0-1.")
    quiz_passed = serializers.BooleanField()
    lesson_completed = serializers.BooleanField()


class CohortProgressQuerySerializer(serializers.Serializer):
    course = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_MAX,
        help_text="The course's id; default: the first course assigned to the cohort.",
    )


class CatalogueQuerySerializer(serializers.Serializer):
    """The catalogue's filters: an unknown track is a 400, not the whole catalogue."""

    track = serializers.ChoiceField(choices=Track.choices, required=False, allow_blank=True)
    language = serializers.CharField(
        required=False, allow_blank=True, help_text="Language of instruction."
    )


# ---------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[CatalogueQuerySerializer]))
class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue: published courses, each once, titles in the request's language."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CourseSerializer
    filter_backends = []
    queryset = CoursePage.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        query = CatalogueQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.catalogue(
            track=query.validated_data.get("track", ""),
            language=query.validated_data.get("language", ""),
        )

    def list(self, request, *args, **kwargs):
        query = CatalogueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        track = query.validated_data.get("track", "")
        language = query.validated_data.get("language", "")
        if language in dict(settings.LANGUAGES) or not language:
            # the same for every reader: serialized once per language, cached until any
            # page changes (cms.pagecache.PAGES: publish, move, a view restriction, a site)
            rows = PAGES.get_or_set(
                ("api-catalogue", active_language(), track, language),
                lambda: self._serialized(track, language),
            )
        else:  # a language nothing is taught in: nothing to keep
            rows = self._serialized(track, language)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(page) if page is not None else Response(rows)

    def _serialized(self, track: str, language: str) -> list[dict]:
        courses = selectors.catalogue(track=track, language=language)
        serializer = self.get_serializer(
            courses,
            many=True,
            context={**self.get_serializer_context(), "shown": in_language(courses)},
        )
        return [dict(row) for row in serializer.data]

    def retrieve(self, request, *args, **kwargs):
        course = get_object_or_404(CoursePage.objects.live(), pk=kwargs["pk"])
        course.track = selectors._tracks_of([course]).get(course.pk, "")
        serializer = self.get_serializer(
            course,
            context={**self.get_serializer_context(), "shown": in_language([course])},
        )
        return Response(serializer.data)


class MyProgressViewSet(viewsets.ViewSet):
    """My enrolments with progress, due dates and next lesson, and my skill profile."""

    @extend_schema(responses=MyProgressSerializer)
    def list(self, request):
        # what the student's dashboard shows, so cached and retired with it (people.panels:
        # their progress, enrolments, evidence, any page, a competence's name); `overdue`
        # follows the clock, so it is worked out at each request
        parts = ("api-my-progress", get_language(), timezone.get_current_timezone_name())
        user = request.user
        courses, skills = panels.student_cached(user.pk, parts, lambda: _my_progress(user))
        now = timezone.now()
        return Response(
            {
                "courses": [
                    {**row, "overdue": bool(due and due < now and unfinished)}
                    for row, due, unfinished in courses
                ],
                "skills": skills,
            }
        )


def _my_progress(user) -> tuple[list[tuple[dict, datetime | None, bool]], list[dict]]:
    """The serialized courses, each with its due date and whether lessons are left (what
    `overdue` is worked out from), and the serialized skills."""
    dashboard = selectors.student_dashboard(user=user)
    data = MyProgressSerializer({"courses": dashboard.courses, "skills": dashboard.skills}).data
    courses = [
        (dict(row), card.due_at, card.lessons_completed < card.lessons_total)
        for row, card in zip(data["courses"], dashboard.courses, strict=True)
    ]
    return courses, [dict(skill) for skill in data["skills"]]


class CohortProgressViewSet(viewsets.ViewSet):
    """A cohort's progress in one of its courses: students x lessons. Teachers of the
    cohort only. `?course=<id>` picks the course (default: the first assigned)."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Cohort id."
            ),
            CohortProgressQuerySerializer,
        ],
        responses={200: CohortProgressSerializer, 404: OpenApiResponse(description="Not found")},
    )
    def retrieve(self, request, pk=None):
        cohort = get_object_or_404(Cohort, pk=pk)
        if not access.can_follow_cohort(request.user, cohort):
            return error_response(
                status.HTTP_403_FORBIDDEN,
                "permission_denied",
                _("Only the cohort's teachers can follow its progress."),
            )
        query = CohortProgressQuerySerializer(
            data={key: value for key, value in request.query_params.items() if value != ""}
        )
        query.is_valid(raise_exception=True)
        assignments = CourseAssignment.objects.filter(cohort=cohort).select_related("course")
        if "course" in query.validated_data:
            assignments = assignments.filter(course_id=query.validated_data["course"])
        assignment = assignments.order_by("course__title").first()
        if assignment is None:
            return error_response(
                status.HTTP_404_NOT_FOUND,
                "not_found",
                _("This course is not assigned to the cohort."),
            )
        table = selectors.cohort_progress(cohort=cohort, course=assignment.course)
        return Response(CohortProgressSerializer(table).data)


class QuizAnswerViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Answer one quiz question. The server checks it and records the attempt; the reply
    says whether it was right (never what the right answer is) and how many attempts are
    left. An answer beyond the quiz's attempts is refused (400)."""

    serializer_class = QuizAnswerSerializer

    @extend_schema(
        request=QuizAnswerSerializer,
        responses={
            201: QuizAnswerResultSerializer,
            400: OpenApiResponse(description="Refused"),
            404: OpenApiResponse(description="No such published lesson."),
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lesson = get_object_or_404(LessonPage.objects.live(), pk=data["lesson"])
        try:
            outcome = services.quiz_answer(
                student=request.user,
                lesson=lesson,
                question_id=data["question"],
                answer=data["answer"],
            )
        except services.QuizRefused as refused:
            return error_response(status.HTTP_400_BAD_REQUEST, "refused", refused.message)
        feedback = outcome.feedback[0]
        result = {
            "correct": feedback.is_correct,
            "explanation": feedback.explanation,
            "attempts_left": feedback.attempts_left,
            "quiz_score": outcome.progress.quiz_score,
            "quiz_passed": outcome.progress.quiz_passed,
            "lesson_completed": outcome.progress.completed_at is not None,
        }
        return Response(QuizAnswerResultSerializer(result).data, status=status.HTTP_201_CREATED)
