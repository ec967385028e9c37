from django.urls import include, path

from . import views

urlpatterns = [
    # before Django's accounts/ URLs: the platform's form, with limits (README "Security")
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/email/confirm/<str:token>/",
        views.email_change_confirm,
        name="email-change-confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/cohorts/new/", views.cohort_create, name="cohort-create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort-detail"),
    path("cohorts/<int:pk>/import/", views.cohort_import, name="cohort-import"),
]
