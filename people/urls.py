from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import PlatformPasswordResetForm

urlpatterns = [
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PlatformPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/cohorts/new/", views.cohort_create, name="cohort-create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort-detail"),
    path("cohorts/<int:pk>/import/", views.cohort_import, name="cohort-import"),
]
