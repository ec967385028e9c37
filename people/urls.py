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
    # the platform's login (password rule, single sign-on buttons) and logout (the
    # identity provider's logout after ours): people.loginalternatives
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/cohorts/new/", views.cohort_create, name="cohort-create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort-detail"),
    path("cohorts/<int:pk>/import/", views.cohort_import, name="cohort-import"),
    # first login for imported students (people/logincodes.py)
    path("cohorts/<int:pk>/logins/", views.cohort_logins, name="cohort-logins"),
    path("cohorts/<int:pk>/logins/sheet/", views.cohort_login_sheet, name="cohort-login-sheet"),
    path(
        "cohorts/<int:pk>/logins/<int:user_pk>/reset/",
        views.cohort_login_reset,
        name="cohort-login-reset",
    ),
    path(
        "cohorts/<int:pk>/logins/invitations/",
        views.cohort_login_invitations,
        name="cohort-login-invitations",
    ),
    path("first-login/", views.first_login, name="first-login"),
    path("first-login/password/", views.first_login_password, name="first-login-password"),
]
