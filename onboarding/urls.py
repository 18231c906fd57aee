from django.urls import path

from . import views

app_name = "onboarding"

urlpatterns = [
    path("ready/", views.ready, name="ready"),
    path("programmes/", views.my_programmes, name="my_programmes"),
]
