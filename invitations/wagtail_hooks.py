"""Bulk invitations in the admin: menu item "Invitations", for facility staff and superusers."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views
from .selectors import may_invite


@hooks.register("register_admin_urls")
def invitation_urls():
    return [
        path("invitations/", admin_views.batch_list, name="panlearn_invitations_list"),
        path("invitations/upload/", admin_views.upload, name="panlearn_invitations_upload"),
        path("invitations/<int:pk>/", admin_views.batch_detail, name="panlearn_invitations_batch"),
        path("invitations/<int:pk>/confirm/", admin_views.confirm, name="panlearn_invitations_confirm"),
        path("invitations/<int:pk>/discard/", admin_views.discard, name="panlearn_invitations_discard"),
    ]


class InvitationsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_invite(request.user)


@hooks.register("register_admin_menu_item")
def invitations_menu_item():
    return InvitationsMenuItem("Invitations", reverse("panlearn_invitations_list"), icon_name="mail", order=251)
