from django.urls import path

from . import views

app_name = "content"

urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("<slug:slug>/", views.dataset_detail, name="dataset_detail"),
    path("<slug:slug>/files/<str:name>", views.dataset_file, name="dataset_file"),
]
