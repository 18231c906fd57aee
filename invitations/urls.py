from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    path("account/password/", views.set_password, name="set_password"),
    path("<str:token>/", views.accept, name="accept"),
]
