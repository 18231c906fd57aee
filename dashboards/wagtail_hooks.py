"""The dashboards in the admin. Their paths stay under tracking/ (bookmarks and links that trainers and
facilities keep), though the app is dashboards."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

# Dashboards: a trainer's courses and a facility's completion records --------------------------------


@hooks.register("register_admin_urls")
def dashboard_urls():
    from . import views

    return [
        path("tracking/dashboards/courses/", views.course_list, name="panlearn_course_dashboards"),
        path("tracking/dashboards/courses/<int:pk>/", views.course_dashboard, name="panlearn_course_dashboard"),
        path("tracking/dashboards/facilities/", views.facility_list, name="panlearn_facility_dashboards"),
        path(
            "tracking/dashboards/facilities/<int:pk>/",
            views.facility_dashboard,
            name="panlearn_facility_dashboard",
        ),
    ]


class CourseDashboardsMenuItem(MenuItem):
    def is_shown(self, request):
        from .selectors import trainer_courses

        return trainer_courses(request.user).exists()


class FacilityDashboardsMenuItem(MenuItem):
    def is_shown(self, request):
        from facilities.selectors import is_facility_staff

        return is_facility_staff(request.user)


@hooks.register("register_admin_menu_item")
def dashboards_menu_item():
    from wagtail.admin.menu import Menu, SubmenuMenuItem

    menu = Menu(
        items=[
            CourseDashboardsMenuItem(
                "Courses", reverse("panlearn_course_dashboards"), icon_name="doc-full-inverse", order=10
            ),
            FacilityDashboardsMenuItem(
                "Facilities", reverse("panlearn_facility_dashboards"), icon_name="site", order=20
            ),
        ]
    )
    return SubmenuMenuItem("Dashboards", menu, icon_name="table", order=330)
