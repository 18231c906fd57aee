from django.urls import path, re_path

from . import documents, views

app_name = "tracking"

DOCUMENTS = {
    "activities/state": documents.STATE,
    "activities/profile": documents.ACTIVITY_PROFILE,
    "agents/profile": documents.AGENT_PROFILE,
}

urlpatterns = [
    path("statements", views.StatementsView.as_view(), name="statements"),
    path("about", views.AboutView.as_view(), name="about"),
    *(
        path(name, views.DocumentView.as_view(resource=documents.RESOURCES[kind]), name=kind)
        for name, kind in DOCUMENTS.items()
    ),
    path("agents", views.AgentsView.as_view(), name="agents"),
    path("activities", views.ActivitiesView.as_view(), name="activities"),
    # Anything else: a plain 404, not Django's trailing-slash redirect (which a POST cannot follow).
    re_path(r"^.+$", views.NotProvidedView.as_view()),
]
