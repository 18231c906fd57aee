"""Admin screens to add a dataset by DOI: look it up, choose files, watch the download."""

from datetime import timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from courses.vocabularies import TECHNIQUE_CHOICES

from .imports import unique_slug
from .models import Dataset, DatasetImport, ImportStatus, SourceKind
from .resolvers import SOURCES, guess_source, resolve
from .resolvers.base import RemoteDataset, ResolverError
from .services import import_create

ADD_PERMISSION = "panlearn_content.add_dataset"
# A download whose progress has not moved for this long has lost its worker (stopped or killed).
STALLED_AFTER = timedelta(minutes=10)


def _source_choices():
    labels = dict(SourceKind.choices)
    return [("", "Work it out from the DOI")] + [(kind, labels.get(kind, kind)) for kind in SOURCES]


class LookupForm(forms.Form):
    source = forms.ChoiceField(choices=_source_choices, required=False)
    reference = forms.CharField(
        label="DOI or record id", max_length=300, help_text="e.g. 10.5281/zenodo.1234567 or 10.15151/ESRF-DC-…"
    )


class ImportForm(forms.Form):
    source = forms.CharField(widget=forms.HiddenInput)
    reference = forms.CharField(widget=forms.HiddenInput)
    files = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, help_text="Files to download now.")
    slug = forms.SlugField(max_length=80, label="Dataset id", help_text="Code cells will see /data/<id>/.")
    title = forms.CharField(max_length=250)
    licence = forms.CharField(max_length=60, help_text="SPDX identifier, e.g. CC-BY-4.0.")
    technique = forms.ChoiceField(choices=[("", "—"), *TECHNIQUE_CHOICES], required=False)

    def __init__(self, *args, remote: RemoteDataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].choices = [(item.name, item.name) for item in remote.files]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Dataset.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A dataset already has this id; choose another.")
        return slug


def _require_add_permission(request: HttpRequest) -> None:
    if not request.user.has_perm(ADD_PERMISSION):
        raise PermissionDenied


def _lookup(source: str, reference: str) -> tuple[str, RemoteDataset]:
    source = source or guess_source(reference)
    return source, resolve(source, reference)


def add_by_doi(request: HttpRequest) -> HttpResponse:
    _require_add_permission(request)
    context: dict = {"lookup_form": LookupForm(request.POST or None)}
    if request.method != "POST":
        return render(request, "content/admin/add_by_doi.html", context)
    source = request.POST.get("source", "")
    reference = request.POST.get("reference", "")
    if "import" not in request.POST and not context["lookup_form"].is_valid():
        return render(request, "content/admin/add_by_doi.html", context)
    try:
        # Looked up again on import: file URLs and checksums come from the source, never from the form.
        source, remote = _lookup(source, reference.strip())
    except ResolverError as error:
        context["error"] = str(error)
        return render(request, "content/admin/add_by_doi.html", context)
    initial = {"source": source, "reference": remote.reference, "title": remote.title[:250],
               "licence": remote.licence, "files": [item.name for item in remote.files]}  # fmt: skip
    if "import" in request.POST:
        form = ImportForm(request.POST, remote=remote)
        if form.is_valid():
            data = form.cleaned_data
            try:
                fields = {name: data[name] for name in ("slug", "title", "licence", "technique")}
                job = import_create(remote, chosen=data["files"], user=request.user, **fields)
            except ResolverError as error:
                form.add_error("files", str(error))
            except IntegrityError:  # another trainer took the same id a moment ago
                form.add_error("slug", "A dataset already has this id; choose another.")
            else:
                return redirect("panlearn_content_import", job.pk)
    else:
        form = ImportForm(initial=initial | {"slug": unique_slug(remote.title)}, remote=remote)
    context.update(remote=remote, form=form, source_label=dict(SourceKind.choices).get(source, source))
    return render(request, "content/admin/add_by_doi.html", context)


def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_add_permission(request)
    job = get_object_or_404(DatasetImport.objects.select_related("dataset"), pk=pk)
    job.stalled = job.status == ImportStatus.DOWNLOADING and timezone.now() - job.updated_at > STALLED_AFTER
    if request.GET.get("format") == "json":
        return JsonResponse({"status": job.status, "status_label": job.get_status_display(), "percent": job.percent,
                             "bytes_done": job.bytes_done, "bytes_total": job.bytes_total,
                             "current_file": job.current_file, "message": job.message,
                             "finished": job.finished, "stalled": job.stalled})  # fmt: skip
    context = {
        "job": job,
        "edit_url": reverse("wagtailsnippets_panlearn_content_dataset:edit", args=[job.dataset.pk]),
        "page_url": reverse("content:dataset_detail", args=[job.dataset.slug]),
    }
    return render(request, "content/admin/import_detail.html", context)
