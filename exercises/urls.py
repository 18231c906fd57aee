from django.urls import path

from . import views

app_name = "exercises"

urlpatterns = [
    path("<int:page_id>/", views.exercises_base, name="exercises_base"),
    path("<int:page_id>/<int:exercise_id>/check", views.exercise_submit, {"kind": "check"}, name="check"),
    path("<int:page_id>/<int:exercise_id>/submit", views.exercise_submit, {"kind": "submit"}, name="submit"),
    path("<int:page_id>/submissions/<int:submission_id>", views.submission_status, name="submission"),
]
