"""Thin views: a participant's readiness for their experiments, and their programmes."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def ready(request: HttpRequest) -> HttpResponse:
    """ "Ready for your experiment?": each upcoming experiment with the training it requires."""
    checklists = selectors.experiment_checklists(user=request.user)
    return render(request, "onboarding/ready.html", {"checklists": checklists})


@login_required
def my_programmes(request: HttpRequest) -> HttpResponse:
    rows = selectors.my_programmes(user=request.user)
    return render(request, "onboarding/my_programmes.html", {"rows": rows})
