from django.urls import path

from . import views

app_name = "useroffice"

urlpatterns = [path("v1/validity/", views.validity, name="validity")]
