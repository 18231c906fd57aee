"""The tool's signing keys in the admin: superusers see which key signs and rotate it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

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
