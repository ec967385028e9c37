from django.urls import include, path, re_path
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter

from courses import api as courses_api
from credentials.api import CredentialViewSet
from curricula.api.views import CompetenceFrameworkViewSet
from grading import api as grading_api
from grading import drafts_api, runs_api
from people import api as people_api
from reports.api import ReportViewSet

from .schema import ID_REGEX


class PlatformAPIRootView(APIRootView):
    """The API root lists the endpoints to anyone; each endpoint checks access itself."""

    permission_classes = [AllowAny]


class PlatformRouter(DefaultRouter):
    APIRootView = PlatformAPIRootView
    # Endpoints outside the router that the root lists too: {label: URL name}.
    extra_root_entries = {"me": "me", "auth/token": "token"}

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        """An endpoint looked up by integer id matches only ids a database column can hold
        (1-18 digits): `/cohorts/null,null/` or an id of 30 digits is the JSON 404 of an
        unknown URL, before a view passes it to a query (a ValueError or an OverflowError)."""
        if getattr(viewset, "lookup_field", "pk") == "pk" and not hasattr(
            viewset, "lookup_value_regex"
        ):
            return self._base_pattern.format(
                lookup_prefix=lookup_prefix,
                lookup_url_kwarg=getattr(viewset, "lookup_url_kwarg", None) or "pk",
                lookup_value=ID_REGEX,
            )
        return super().get_lookup_regex(viewset, lookup_prefix)

    def get_api_root_view(self, api_urls=None):
        list_name = self.routes[0].name
        api_root_dict = {
            prefix: list_name.format(basename=basename) for prefix, _, basename in self.registry
        }
        api_root_dict.update(self.extra_root_entries)
        return self.APIRootView.as_view(api_root_dict=api_root_dict)


router = PlatformRouter()
router.register("regions", people_api.RegionViewSet, basename="region")
router.register("institutions", people_api.InstitutionViewSet, basename="institution")
router.register("cohorts", people_api.CohortViewSet, basename="cohort")
router.register("frameworks", CompetenceFrameworkViewSet, basename="framework")
router.register("exercises", grading_api.ExerciseViewSet, basename="exercise")
router.register("submissions", grading_api.SubmissionViewSet, basename="submission")
router.register("regrades", grading_api.RegradeJobViewSet, basename="regrade")
router.register("runs", runs_api.RunViewSet, basename="run")
router.register("reports", ReportViewSet, basename="report")
router.register("courses", courses_api.CourseViewSet, basename="course")
router.register("my-progress", courses_api.MyProgressViewSet, basename="my-progress")
router.register("cohort-progress", courses_api.CohortProgressViewSet, basename="cohort-progress")
router.register("quiz-answers", courses_api.QuizAnswerViewSet, basename="quiz-answer")
router.register("credentials", CredentialViewSet, basename="credential")

app_name = "api"
urlpatterns = [
    path("me/", people_api.MeView.as_view(), name="me"),
    path("auth/token/", people_api.TokenView.as_view(), name="token"),
    re_path(
        rf"^exercises/(?P<pk>{ID_REGEX})/runs/$",
        runs_api.ExerciseRunsView.as_view(),
        name="exercise-runs",
    ),
    path("", include(drafts_api.urlpatterns)),
    path("", include(router.urls)),
]
