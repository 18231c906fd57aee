"""The user office in the admin, for facility staff (their facilities only; superusers all): the CSV export,
API tokens (shown once) and the facility's webhook."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from facilities.selectors import facilities_staffed_by, is_facility_staff, staff_facility_ids

from . import services, tokens
from .csv_export import csv_response
from .selectors import FilterError, export_all, token_of, tokens_of, webhook_of, webhooks_by_facility
from .views import filters_from


def _managed(request: HttpRequest):
    if not is_facility_staff(request.user):
        raise PermissionDenied
    return facilities_staffed_by(request.user)


class TokenForm(forms.Form):
    facility = forms.ModelChoiceField(queryset=None)
    name = forms.CharField(max_length=100, help_text="Who will use it, e.g. 'User office portal'.")

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


def index(request: HttpRequest) -> HttpResponse:
    facilities = _managed(request)
    hooks = webhooks_by_facility(facilities)
    context = {
        "facilities": facilities,
        "tokens": tokens_of(facilities),
        "webhook_rows": [(facility, hooks.get(facility.pk)) for facility in facilities],
        "token_form": TokenForm(facilities=facilities),
    }
    return render(request, "useroffice/admin/index.html", context)


def export_csv(request: HttpRequest) -> HttpResponse:
    if not is_facility_staff(request.user):
        raise PermissionDenied
    ids = staff_facility_ids(request.user)
    try:
        filters = filters_from(request.GET, facility_ids=None if ids is None else frozenset(ids))
    except FilterError as error:
        messages.error(request, str(error))
        return redirect("panlearn_useroffice_index")
    return csv_response(export_all(filters, now=timezone.now()), filename="validity.csv")


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, facilities=_managed(request))
    if not form.is_valid():
        messages.error(request, "Choose one of your facilities and name the token.")
        return redirect("panlearn_useroffice_index")
    token, plain = tokens.token_create(facility=form.cleaned_data["facility"], name=form.cleaned_data["name"],
                                       created_by=request.user)  # fmt: skip
    return render(
        request,
        "useroffice/admin/shown_once.html",
        {"title": f"API token “{token.name}”", "value": plain, "facility": token.facility},
    )


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = token_of(pk, _managed(request))
    if token is None:
        raise Http404
    tokens.token_revoke(token=token)
    messages.success(request, f"Token {token.prefix}… is revoked.")
    return redirect("panlearn_useroffice_index")


def webhook_edit(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = _managed(request).filter(pk=facility_id).first()
    if facility is None:
        raise Http404
    webhook = webhook_of(facility)
    initial = {"url": webhook.url, "is_active": webhook.is_active} if webhook else None
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("rotate") and webhook is not None:
        secret = services.webhook_secret_rotate(webhook=webhook)
        return render(request, "useroffice/admin/shown_once.html", {"title": "New webhook secret", "value": secret,
                                                                      "facility": facility})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        webhook, secret = services.webhook_set(facility=facility, url=form.cleaned_data["url"],
                                               is_active=form.cleaned_data["is_active"])  # fmt: skip
        if secret:
            return render(request, "useroffice/admin/shown_once.html", {"title": "Webhook secret", "value": secret,
                                                                          "facility": facility})  # fmt: skip
        messages.success(request, "Webhook saved.")
        return redirect("panlearn_useroffice_index")
    deliveries = webhook.deliveries.select_related("completion")[:20] if webhook else []
    return render(request, "useroffice/admin/webhook.html", {"facility": facility, "webhook": webhook, "form": form,
                                                              "deliveries": deliveries})  # fmt: skip
