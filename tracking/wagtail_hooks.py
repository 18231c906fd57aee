from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .admin_views import PERMISSION, dead_letter_list, dead_letter_resend


@hooks.register("register_admin_urls")
def tracking_urls():
    return [
        path("tracking/dead-letters/", dead_letter_list, name="panlearn_tracking_dead_letters"),
        path("tracking/dead-letters/resend", dead_letter_resend, name="panlearn_tracking_resend"),
    ]


class DeadLettersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(PERMISSION)


@hooks.register("register_settings_menu_item")
def dead_letters_menu_item():
    return DeadLettersMenuItem(
        "xAPI delivery", reverse("panlearn_tracking_dead_letters"), icon_name="warning", order=900
    )


# Erasure (GDPR): superusers only ----------------------------------------------------------------------


@hooks.register("register_admin_urls")
def erasure_urls():
    from .erasure_views import erasure

    return [path("tracking/erasure/", erasure, name="panlearn_tracking_erasure")]


class ErasureMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_settings_menu_item")
def erasure_menu_item():
    return ErasureMenuItem("Erase learning records", reverse("panlearn_tracking_erasure"), icon_name="bin", order=910)


@hooks.register("register_admin_viewset")
def register_store_clients():
    from .store.admin import store_client_viewset

    return store_client_viewset
