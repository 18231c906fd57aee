from django.urls import path

from . import views

app_name = "oaipmh"

urlpatterns = [path("", views.endpoint, name="endpoint")]
