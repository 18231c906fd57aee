from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from courses import structured_data
from panlearn.public_urls import public_root

from . import hdf5
from .blocks import file_kind
from .metadata import citation_bibtex, citation_text, schema_org
from .models import Dataset
from .preview import PreviewError, text_preview
from .selectors import datasets_visible_to, pages_using, viewer_initial_path
from .sources import SourceError, open_file


def _visible_dataset(request: HttpRequest, slug: str) -> Dataset:
    return get_object_or_404(datasets_visible_to(request.user).prefetch_related("files"), slug=slug)


def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = datasets_visible_to(request.user).prefetch_related("files").order_by("title")
    return render(request, "content/dataset_list.html", {"datasets": datasets})


def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = _visible_dataset(request, slug)
    root = public_root(request.build_absolute_uri("/"))  # the address catalogues keep, as in OAI-PMH records
    json_ld = schema_org(
        dataset,
        page_url=root + reverse("content:dataset_detail", args=[slug]),
        file_url=lambda item: root + reverse("content:dataset_file", args=[slug, item.name]),
    )
    files = list(dataset.files.all())
    context = {
        "dataset": dataset,
        "citation": citation_text(dataset),
        "bibtex": citation_bibtex(dataset),
        "json_ld": structured_data.script_json(json_ld),
        "hdf5_files": [item for item in files if file_kind(item) == "hdf5"],
        "text_files": [item for item in files if file_kind(item) == "text"],
        "used_by": pages_using(dataset),
    }
    viewable = context["hdf5_files"] + context["text_files"]
    wanted = request.GET.get("view")
    chosen = next((item for item in viewable if item.name == wanted), viewable[0] if viewable else None)
    kind = file_kind(chosen) if chosen else ""
    initial_path = viewer_initial_path(dataset, chosen) if kind == "hdf5" else ""
    context.update(viewable=viewable, viewed=chosen, viewed_kind=kind, initial_path=initial_path)
    return render(request, "content/dataset_detail.html", context)


def dataset_file(request: HttpRequest, slug: str, name: str) -> FileResponse:
    """Only files the registry lists, read from where their source keeps them."""
    dataset = _visible_dataset(request, slug)
    try:
        located = open_file(dataset, name)
    except SourceError as error:
        raise Http404(str(error)) from error
    return FileResponse(located.path.open("rb"), as_attachment=True, filename=name)


def _visible_or_none(request: HttpRequest, slug: str) -> Dataset | None:
    return datasets_visible_to(request.user).filter(slug=slug).first()


def _no_dataset(slug: str) -> JsonResponse:
    return JsonResponse({"message": f"No dataset {slug!r}."}, status=404)


@require_GET
def h5grove(request: HttpRequest, slug: str, endpoint: str) -> HttpResponse:
    """The h5grove API (meta, attr, data, paths, stats) on a dataset's HDF5 files, for H5Web."""
    dataset = _visible_or_none(request, slug)
    if dataset is None:
        return _no_dataset(slug)
    name = request.GET.get("file")
    if not name:
        return JsonResponse({"message": "The file parameter is required."}, status=422)
    try:
        located = open_file(dataset, name)
        encoded = hdf5.respond(
            endpoint, located.path, request.GET, max_bytes=settings.PANLEARN_CONTENT_VIEWER_MAX_BYTES
        )
    except SourceError as error:
        return JsonResponse({"message": str(error)}, status=404)
    except hdf5.ViewerError as error:
        return JsonResponse({"message": error.message}, status=error.status)
    response = HttpResponse(encoded.content, headers=encoded.headers)
    # Registered files never change under the same name (their sha256 is pinned).
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def text_plot(request: HttpRequest, slug: str, name: str) -> JsonResponse:
    """x/y (and errors) of a 1D text file, for the plot preview."""
    dataset = _visible_or_none(request, slug)
    if dataset is None:
        return _no_dataset(slug)
    try:
        located = open_file(dataset, name)
        if file_kind(located.record) != "text":
            return JsonResponse({"message": f"{name} is not a text table; there is no plot of it."}, status=422)
        preview = text_preview(located.path, columns=located.record.columns or ())
    except SourceError as error:
        return JsonResponse({"message": str(error)}, status=404)
    except PreviewError as error:
        return JsonResponse({"message": str(error)}, status=422)
    return JsonResponse(preview.as_json())


@require_GET
def h5grove_root(request: HttpRequest, slug: str) -> JsonResponse:
    """The base URL the viewer is given; answers like h5grove's own root."""
    if _visible_or_none(request, slug) is None:
        return _no_dataset(slug)
    return JsonResponse({"status": "ok"})
