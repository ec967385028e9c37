"""The credentials app's pages, under the language prefix (lms/urls.py)."""

from django.urls import path

from . import views

app_name = "credentials"
urlpatterns = [
    path("credentials/verify/", views.verify, name="check"),
    path("credentials/<uuid:pk>/", views.verify, name="verify"),
    path("credentials/<uuid:pk>/credential.jwt", views.download, name="download"),
    path("credentials/<uuid:pk>/certificate.pdf", views.certificate, name="certificate"),
]
