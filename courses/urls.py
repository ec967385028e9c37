from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("learning/lessons/<int:pk>/quiz/<str:quiz_id>/", views.quiz_submit, name="quiz-submit"),
    path("learning/lessons/<int:pk>/read/", views.lesson_read, name="lesson-read"),
    path("learning/courses/<int:pk>/enrol/", views.course_enrol, name="course-enrol"),
    path("learning/search/", views.search, name="search"),
    path("teach/courses/<int:pk>/assign/", views.course_assign, name="course-assign"),
    path("teach/cohorts/<int:pk>/assign/", views.cohort_assign, name="cohort-assign"),
    path("teach/cohorts/<int:pk>/progress/", views.cohort_progress, name="cohort-progress"),
    path(
        "teach/cohorts/<int:pk>/progress.csv",
        views.cohort_progress_csv,
        name="cohort-progress-csv",
    ),
    path(
        "teach/cohorts/<int:pk>/quiz-statistics/",
        views.quiz_statistics,
        name="quiz-statistics",
    ),
]
