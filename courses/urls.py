from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("my-courses/", views.my_courses, name="my_courses"),
    path("catalogue/materials.jsonld", views.materials_feed, name="materials_feed"),
    path("courses/<int:course_id>/enrol/", views.enrol, name="enrol"),
    path("courses/<int:course_id>/unenrol/", views.unenrol, name="unenrol"),
    path("lessons/<int:lesson_id>/done/", views.mark_done, name="mark_done"),
    path("lessons/<int:lesson_id>/undone/", views.mark_undone, name="mark_undone"),
    path("invitations/<uuid:token>/", views.invitation_accept, name="invitation_accept"),
]
