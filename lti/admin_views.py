"""The LTI pages of the admin: superusers see which key signs and rotate it; a course's editors let the
instructors of an LMS course it is placed in train it, or take that back."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, trainers
from .keys import key_rotate, published_keys, signing_key
from .models import ToolKey


@require_http_methods(["GET", "POST"])
def tool_keys(request):
    if not request.user.is_superuser:
        raise PermissionDenied
    if request.method == "POST":
        key_rotate()
        return redirect("panlearn_lti_keys")
    current = signing_key()
    published = {key.pk for key in published_keys()}
    return TemplateResponse(request, "lti/admin/keys.html", {
        "keys": ToolKey.objects.all()[:20], "current": current, "published": published, "now": timezone.now(),
        "jwks_url": request.build_absolute_uri(reverse("lti:jwks")),
        "login_url": request.build_absolute_uri(reverse("lti:login")),
        "launch_url": request.build_absolute_uri(reverse("lti:launch")),
    })  # fmt: skip


@require_GET
def lms_courses(request):
    contexts = selectors.contexts_editable_by(request.user).order_by("course__title", "title", "context_id", "pk")
    page = Paginator(contexts, 50).get_page(request.GET.get("p"))
    return TemplateResponse(request, "lti/admin/lms_courses.html", {"page": page})


@require_POST
def lms_course_approve(request, pk: int):
    context = get_object_or_404(selectors.contexts_editable_by(request.user), pk=pk)  # another course's: a 404
    trainers.context_bind(context=context, by=request.user)
    messages.success(request, f"The instructors of “{context.title or context.context_id}” edit “{context.course}” "
                              "from their next launch.")  # fmt: skip
    return redirect("panlearn_lti_lms_courses")


@require_POST
def lms_course_revoke(request, pk: int):
    context = get_object_or_404(selectors.contexts_editable_by(request.user), pk=pk)
    withdrawn = trainers.context_unbind(context=context, by=request.user)
    messages.success(request, f"The instructors of “{context.title or context.context_id}” no longer edit "
                              f"“{context.course}”; {withdrawn} lost the editing their launches gave.")  # fmt: skip
    return redirect("panlearn_lti_lms_courses")
