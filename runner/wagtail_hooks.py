from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import AdminOnlyMenuItem

from .views import runner_dashboard


@hooks.register("register_admin_urls")
def runner_admin_urls():
    return [path("runner/", runner_dashboard, name="panlearn_runner_dashboard")]


@hooks.register("register_settings_menu_item")
def runner_menu_item():
    return AdminOnlyMenuItem("Kernel runner", reverse("panlearn_runner_dashboard"), icon_name="code", order=900)
