from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("builds/", views.build_create, name="build-create"),
    path("builds/<int:pk>/", views.build_status, name="build-status"),
    path("builds/<int:pk>/download/", views.build_download, name="build-download"),
]
