from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from curricula.api.views import CompetenceFrameworkViewSet
from grading import api as grading_api

from . import views


class PlatformRouter(DefaultRouter):
    """The API root lists the endpoints to anyone; each endpoint checks access itself."""

    def get_api_root_view(self, api_urls=None):
        view = super().get_api_root_view(api_urls)
        view.cls.permission_classes = [AllowAny]
        view.initkwargs["permission_classes"] = [AllowAny]
        return view


router = PlatformRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("cohorts", views.CohortViewSet, basename="cohort")
router.register("frameworks", CompetenceFrameworkViewSet, basename="framework")
router.register("exercises", grading_api.ExerciseViewSet, basename="exercise")
router.register("submissions", grading_api.SubmissionViewSet, basename="submission")
router.register("regrades", grading_api.RegradeJobViewSet, basename="regrade")

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("auth/token/", obtain_auth_token, name="token"),
    path("", include(router.urls)),
]
