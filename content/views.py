import json

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from .metadata import citation_bibtex, citation_text, schema_org
from .models import Dataset
from .sources import SourceError, locate_files


def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = Dataset.objects.prefetch_related("files").order_by("title")
    return render(request, "content/dataset_list.html", {"datasets": datasets})


def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = get_object_or_404(Dataset.objects.prefetch_related("files"), slug=slug)
    json_ld = schema_org(
        dataset,
        page_url=request.build_absolute_uri(),
        file_url=lambda item: request.build_absolute_uri(reverse("content:dataset_file", args=[slug, item.name])),
    )
    context = {
        "dataset": dataset,
        "citation": citation_text(dataset),
        "bibtex": citation_bibtex(dataset),
        # Escaped for a <script> element: no "</script>" can close it early.
        "json_ld": json.dumps(json_ld).replace("<", "\\u003c"),
    }
    return render(request, "content/dataset_detail.html", context)


def dataset_file(request: HttpRequest, slug: str, name: str) -> FileResponse:
    """Only files the registry lists, read from where their source keeps them."""
    dataset = get_object_or_404(Dataset, slug=slug)
    try:
        located = {item.record.name: item for item in locate_files(dataset)}
    except SourceError as error:
        raise Http404(str(error)) from error
    item = located.get(name)
    if item is None or not item.path.is_file():
        raise Http404("No such file in this dataset.")
    return FileResponse(item.path.open("rb"), as_attachment=True, filename=name)
