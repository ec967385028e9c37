from django.urls import path

from . import views

app_name = "grading"
urlpatterns = [
    path("exercises/<int:pk>/", views.exercise_detail, name="exercise"),
    path("exercises/<int:pk>/upload/", views.exercise_upload, name="exercise-upload"),
    path("teach/exercises/", views.exercise_list, name="exercise-list"),
    path("teach/exercises/<int:pk>/", views.exercise_manage, name="exercise-manage"),
    path("teach/exercises/<int:pk>/preview/", views.exercise_preview, name="exercise-preview"),
    path("teach/exercises/<int:pk>/regrade/", views.exercise_regrade, name="exercise-regrade"),
    path("teach/submissions/<uuid:uid>/", views.submission_review, name="submission-review"),
    path(
        "teach/submissions/<uuid:uid>/cells/<int:cell_pk>/",
        views.submission_grade_cell,
        name="submission-grade-cell",
    ),
    path(
        "teach/submissions/<uuid:uid>/regrade/",
        views.submission_regrade,
        name="submission-regrade",
    ),
    path("teach/cohorts/<int:pk>/gradebook/", views.cohort_gradebook, name="gradebook"),
]
