from django.urls import path, re_path

from . import views

app_name = "content"

urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("<slug:slug>/", views.dataset_detail, name="dataset_detail"),
    path("<slug:slug>/files/<str:name>", views.dataset_file, name="dataset_file"),
    path("<slug:slug>/plot/<str:name>", views.text_plot, name="text_plot"),
    # H5Web's h5grove provider asks for <base>/meta/, <base>/data/ ... with or without the slash.
    re_path(r"^(?P<slug>[-\w]+)/h5grove/(?P<endpoint>meta|attr|data|paths|stats)/?$", views.h5grove, name="h5grove"),
    path("<slug:slug>/h5grove/", views.h5grove_root, name="h5grove_root"),
]
