"""Not language-prefixed: LMSs register these URLs exactly (lms/urls.py)."""

from django.urls import path

from . import views

app_name = "lti"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("jwks/", views.jwks, name="jwks"),
    path("register/", views.register, name="register"),
    path("deep-link/", views.deep_link, name="deep-link"),
    path("open/<str:token>/", views.open_window, name="open"),
]
