"""What verifiers fetch, without a language prefix (lms/urls.py): the issuer's public keys
at a well-known address, and the revocation status lists."""

from django.urls import path

from . import views

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="credentials-jwks"),
    path("credentials/status/<int:pk>", views.status_list, name="credentials-status-list"),
]
