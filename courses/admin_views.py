"""The way into course creation for trainers, who hold no page permission until they own a course."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from .models import CatalogueIndexPage
from .permissions import may_create_courses


def course_new(request):
    """Wagtail's own create form for a course in the catalogue; its tester decides (courses.permissions)."""
    if not may_create_courses(request.user):
        raise PermissionDenied
    catalogue = CatalogueIndexPage.objects.order_by("path").first()
    if catalogue is None:
        messages.error(request, "There is no course catalogue yet: an administrator creates it first.")
        return redirect("wagtailadmin_home")
    return redirect(reverse("wagtailadmin_pages:add", args=("panlearn_courses", "coursepage", catalogue.pk)))
