"""The addresses registered at every identity provider: without a language prefix, so
they stay the same whatever language a person uses."""

from django.urls import path

from . import views

urlpatterns = [
    path("sso/callback/", views.callback, name="sso-callback"),
    path("sso/logged-out/", views.logged_out, name="sso-logged-out"),
]
