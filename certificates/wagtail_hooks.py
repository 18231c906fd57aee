from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from facilities.selectors import is_facility_staff


@hooks.register("register_admin_urls")
def certificate_urls():
    from . import admin_views as views

    return [
        path("certificates/", views.certificate_list, name="panlearn_certificates_list"),
        path("certificates/<int:pk>/revoke/", views.certificate_revoke_view, name="panlearn_certificates_revoke"),
    ]


class CertificatesMenuItem(MenuItem):
    def is_shown(self, request):
        return is_facility_staff(request.user)


@hooks.register("register_admin_menu_item")
def certificates_menu_item():
    return CertificatesMenuItem("Certificates", reverse("panlearn_certificates_list"), icon_name="doc-full", order=260)
