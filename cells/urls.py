from django.urls import path

from . import views

app_name = "cells"

urlpatterns = [
    path("<int:page_id>/", views.cells_base, name="cells_base"),
    path("<int:page_id>/run", views.run, name="run"),
    path("<int:page_id>/interrupt", views.interrupt, name="interrupt"),
    path("<int:page_id>/restart", views.restart, name="restart"),
    path("<int:page_id>/status", views.status, name="status"),
    path("<int:page_id>/events", views.events, name="events"),
    path("<int:page_id>/drafts", views.drafts, name="drafts"),
    path("<int:page_id>/drafts/<str:cell_id>", views.draft_save_view, name="draft_save"),
    path("<int:page_id>/drafts/<str:cell_id>/history", views.draft_history, name="draft_history"),
    path("<int:page_id>/examples/<str:cell_id>", views.keep_example, name="keep_example"),
]
