"""Dead letters in the admin: which statements no target would take, why, and a button to resend."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .delivery import resend
from .selectors import dead_letters, delivery_counts
from .services import schedule_delivery

PERMISSION = "panlearn_tracking.change_delivery"


def _require(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def dead_letter_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    target = request.GET.get("target", "")
    page = Paginator(dead_letters(target=target), 50).get_page(request.GET.get("page"))
    counts = sorted(delivery_counts().items())
    return render(request, "tracking/admin/dead_letters.html", {"page": page, "target": target, "counts": counts})


@require_POST
def dead_letter_resend(request: HttpRequest) -> HttpResponse:
    _require(request)
    if request.POST.get("all"):
        ids = list(dead_letters(target=request.POST.get("target", "")).values_list("pk", flat=True))
    else:
        ids = [int(pk) for pk in request.POST.getlist("delivery") if pk.isdigit()]
    count = resend(ids)
    if count:
        schedule_delivery()
    messages.success(request, f"{count} statement(s) queued again.")
    return redirect("panlearn_tracking_dead_letters")
