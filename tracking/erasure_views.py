"""Erasure (GDPR) in the admin, for superusers: find the user, see what would go, confirm, keep the record."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .erasure import erase_statements, erasure_plan
from .models import ErasureRecord


class ErasureForm(forms.Form):
    user = forms.CharField(label="User", help_text="Username, or the id of an account (also of a deleted one).")
    requested_by = forms.CharField(
        label="Requested by",
        max_length=255,
        initial="the data subject",
        help_text="A role or a ticket number, not the person's name: the record must not identify them.",
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))

    def clean_user(self):
        given = self.cleaned_data["user"].strip()
        users = get_user_model().objects
        user = users.filter(**{users.model.USERNAME_FIELD: given}).first()
        if user is None and given.isdigit():
            user = users.filter(pk=int(given)).first() or int(given)
        if user is None:
            raise forms.ValidationError("No such user: give a username or an id.")
        return user


def erasure(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied
    form = ErasureForm(request.POST or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        subject = form.cleaned_data["user"]
        if request.POST.get("confirm"):
            record = erase_statements(subject, requested_by=form.cleaned_data["requested_by"],
                                      reason=form.cleaned_data["reason"], performed_by=request.user,
                                      via="admin")  # fmt: skip
            messages.success(request, f"Erased the learning records of {record.actor_pseudonym}.")
            if record.external_lrs:
                messages.warning(request, "External LRSs received statements: ask them to erase "
                                 f"{record.actor_pseudonym} ({', '.join(record.external_lrs)}).")  # fmt: skip
            return redirect("panlearn_tracking_erasure")
        plan = erasure_plan(subject)
    records = ErasureRecord.objects.all()[:50]
    return render(request, "tracking/erasure.html", {"form": form, "plan": plan, "records": records})
