from django.urls import path

from . import views

app_name = "lti"

urlpatterns = [
    path("login/", views.login, name="login"),  # OIDC login initiation
    path("launch/", views.launch, name="launch"),  # redirect URI: resource links and deep linking requests
    path("jwks/", views.jwks, name="jwks"),  # the tool's public keys
    path("deep-link/", views.deep_link, name="deep_link"),  # the instructor's picker
    path("link/", views.link, name="link"),  # link an LMS account to the signed-in one, or not
]
