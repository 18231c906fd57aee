"""The store's clients in the admin (Settings → Statement store clients): superusers make one, see its
secret once, change its name and scopes, and revoke it. Revoking keeps the row: its statements name it."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from ..models import StoreClient
from . import clients


class StoreClientForm(WagtailAdminModelForm):
    scopes = forms.MultipleChoiceField(
        choices=StoreClient.SCOPES, widget=forms.CheckboxSelectMultiple,
        help_text="What this client may do. A learning platform that sends statements needs statements/write only.",
    )  # fmt: skip

    class Meta:
        model = StoreClient
        fields = ["name", "scopes"]


class SuperusersOnly(ModelPermissionPolicy):
    """A store credential reads every learner's records: for superusers only, whatever the groups say."""

    def user_has_permission(self, user, action):
        return user.is_active and user.is_superuser


class CreateView(generic.CreateView):
    def save_instance(self):
        client, secret = clients.client_create(name=self.form.cleaned_data["name"],
                                               scopes=self.form.cleaned_data["scopes"])  # fmt: skip
        self.secret = secret
        return client

    def get_success_message(self, instance):
        return (
            f"Client “{instance.name}” created. Its user name is {instance.key} and its password is "
            f"{self.secret} . Copy the password now: it is shown only this once."
        )


class RevokeView(generic.DeleteView):
    """Revoke instead of delete: the credential stops working, its statements keep their authority."""

    success_message = "Client “%(object)s” revoked: its credential no longer works."

    def get_page_subtitle(self):
        return f"Revoke {self.object}"

    @property
    def confirmation_message(self):
        return "Revoke this client? Requests with its credential will be refused; what it stored stays."

    def form_valid(self, form):
        clients.client_revoke(client=self.object)
        messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())


class StoreClientViewSet(ModelViewSet):
    model = StoreClient
    form_fields = ["name", "scopes"]
    icon = "key"
    add_to_settings_menu = True
    menu_label = "Statement store clients"
    list_display = ["name", "key", "scopes", "created_at", "last_used_at", "revoked_at"]
    add_view_class = CreateView
    delete_view_class = RevokeView
    inspect_view_enabled = True

    def get_form_class(self, for_update=False):
        return StoreClientForm


register_permission_policy(StoreClient, SuperusersOnly(StoreClient))
store_client_viewset = StoreClientViewSet("store_clients")
