"""The student's progress page, on the site (the trainer and facility dashboards live in the admin)."""

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.student_progress, name="student_progress"),
]
