"""The student's progress page, on the site (the trainer and facility dashboards live in the admin)."""

from django.urls import path

from . import dashboard_views

app_name = "dashboards"

urlpatterns = [
    path("", dashboard_views.student_progress, name="student_progress"),
]
