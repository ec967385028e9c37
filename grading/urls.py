from django.urls import path

from . import similarity_views, views

app_name = "grading"
urlpatterns = [
    path("exercises/<int:pk>/", views.exercise_detail, name="exercise"),
    path("exercises/<int:pk>/upload/", views.exercise_upload, name="exercise-upload"),
    path(
        "exercises/<int:pk>/submissions/<uuid:uid>/feedback/",
        views.submission_feedback,
        name="submission-feedback",
    ),
    path("teach/exercises/", views.exercise_list, name="exercise-list"),
    path("teach/exercises/<int:pk>/", views.exercise_manage, name="exercise-manage"),
    path("teach/exercises/<int:pk>/preview/", views.exercise_preview, name="exercise-preview"),
    path("teach/exercises/<int:pk>/regrade/", views.exercise_regrade, name="exercise-regrade"),
    path("teach/exercises/<int:pk>/files/", views.exercise_files_upload, name="exercise-files"),
    path(
        "teach/exercises/<int:pk>/files/<int:file_pk>/delete/",
        views.exercise_file_delete,
        name="exercise-file-delete",
    ),
    path("teach/needs-grading/", views.needs_grading, name="needs-grading"),
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
    path(
        "teach/exercises/<int:pk>/similarity/",
        similarity_views.similarity_pairs,
        name="similarity",
    ),
    path(
        "teach/exercises/<int:pk>/similarity/check/",
        similarity_views.similarity_check,
        name="similarity-check",
    ),
    path(
        "teach/exercises/<int:pk>/similarity/<int:pair_pk>/",
        similarity_views.similarity_pair,
        name="similarity-pair",
    ),
]
