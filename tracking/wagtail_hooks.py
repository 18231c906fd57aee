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
