"""Single sign-on pages under the language prefix: the start of a sign-in, the linking."""

from django.urls import path

from . import views

urlpatterns = [
    path("sso/<slug:slug>/login/", views.start, name="sso-start"),
    path("sso/link/", views.link, name="sso-link"),
]
