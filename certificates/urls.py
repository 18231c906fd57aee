from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verify/<str:public_id>/", views.verify, name="verify"),
    path("learn/certificates/", views.mine, name="mine"),
    path("learn/certificates/<str:public_id>.pdf", views.download, name="download"),
]
