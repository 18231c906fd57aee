from django.urls import path, re_path

from . import views

app_name = "tracking"

# The xAPI resources the store does not provide, with the methods the spec defines for each: those
# answer 404, any other 405, as for a resource that exists.
NOT_PROVIDED = {
    "agents": ["get", "head"],
    "activities": ["get", "head"],
    "agents/profile": ["get", "head", "put", "post", "delete"],
    "activities/state": ["get", "head", "put", "post", "delete"],
    "activities/profile": ["get", "head", "put", "post", "delete"],
}

urlpatterns = [
    path("statements", views.StatementsView.as_view(), name="statements"),
    path("about", views.AboutView.as_view(), name="about"),
    *(path(name, views.NotProvidedView.as_view(http_method_names=methods)) for name, methods in NOT_PROVIDED.items()),
    # Anything else: a plain 404, not Django's trailing-slash redirect (which a POST cannot follow).
    re_path(r"^.+$", views.NotProvidedView.as_view()),
]
