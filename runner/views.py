from django.conf import settings
from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import runner_status


@user_passes_test(lambda user: user.is_superuser)
def runner_dashboard(request: HttpRequest) -> HttpResponse:
    """Operators watch the pool, sessions and restarts here; a host that is down is a message, not a 500."""
    context = {"status": runner_status(), "placement": settings.PANLEARN_RUNNER_PLACEMENT}
    return render(request, "runner/dashboard.html", context)
