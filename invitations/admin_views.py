"""Admin views: upload a CSV, read the per-row report, confirm (or discard). Staff see and act on
their own facilities' batches only; another facility's batch is a 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .forms import UploadForm
from .models import BatchStatus, InvitationBatch, RowStatus
from .parsing import OPTIONAL, REQUIRED
from .selectors import batches_for, may_invite
from .upload import batch_confirm, batch_create, batch_discard

ROWS_PER_PAGE = 100


def _require_inviter(request: HttpRequest) -> None:
    if not may_invite(request.user):
        raise PermissionDenied


def _batch(request: HttpRequest, pk: int) -> InvitationBatch:
    _require_inviter(request)
    return get_object_or_404(batches_for(request.user), pk=pk)


def batch_list(request: HttpRequest) -> HttpResponse:
    _require_inviter(request)
    page = Paginator(batches_for(request.user), 50).get_page(request.GET.get("p"))
    return render(request, "invitations/admin/batch_list.html", {"page": page})


def upload(request: HttpRequest) -> HttpResponse:
    _require_inviter(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        batch = batch_create(
            facility=form.cleaned_data["facility"],
            uploaded_by=request.user,
            data=upload_file.read(),
            filename=upload_file.name,
        )
        return redirect("panlearn_invitations_batch", pk=batch.pk)
    return render(request, "invitations/admin/upload.html", {"form": form, "required": REQUIRED, "optional": OPTIONAL})


def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": batch.status,
                "imported_rows": batch.imported_rows,
                "finished": batch.status != BatchStatus.CONFIRMED,
            }
        )
    shown = request.GET.get("status", "")
    rows = batch.rows.order_by("line")
    if shown in RowStatus.values:
        rows = rows.filter(status=shown)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("p"))
    counts = dict(batch.rows.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    statuses = [(value, label, counts.get(value, 0)) for value, label in RowStatus.choices if counts.get(value)]
    return render(
        request,
        "invitations/admin/batch_detail.html",
        {"batch": batch, "page": page, "shown": shown, "statuses": statuses},
    )


@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if not batch.can_confirm:
        messages.error(request, "This upload cannot be confirmed (already confirmed, discarded, or no valid rows).")
        return redirect("panlearn_invitations_batch", pk=batch.pk)
    batch_confirm(batch=batch, user=request.user)
    messages.success(request, f"Importing {batch.valid_rows} valid row(s); the invitations go out when it is done.")
    return redirect("panlearn_invitations_batch", pk=batch.pk)


@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    batch_discard(batch=batch, user=request.user)
    messages.success(request, "Upload discarded; nothing was imported.")
    return redirect("panlearn_invitations_list")
