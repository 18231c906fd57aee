from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from facilities.selectors import is_facility_staff


@hooks.register("register_admin_urls")
def useroffice_urls():
    from . import admin_views as views

    return [
        path("useroffice/", views.index, name="panlearn_useroffice_index"),
        path("useroffice/export.csv", views.export_csv, name="panlearn_useroffice_export"),
        path("useroffice/tokens/new/", views.token_create, name="panlearn_useroffice_token_create"),
        path("useroffice/tokens/<int:pk>/revoke/", views.token_revoke, name="panlearn_useroffice_token_revoke"),
        path("useroffice/webhooks/<int:facility_id>/", views.webhook_edit, name="panlearn_useroffice_webhook"),
    ]


class UserOfficeMenuItem(MenuItem):
    def is_shown(self, request):
        return is_facility_staff(request.user)


@hooks.register("register_admin_menu_item")
def useroffice_menu_item():
    return UserOfficeMenuItem("User office", reverse("panlearn_useroffice_index"), icon_name="download", order=270)
