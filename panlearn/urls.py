from django.conf import settings
from django.urls import include, path, re_path
from django.views.decorators.cache import never_cache
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.bulk_action import index as bulk_actions
from wagtail.admin.viewsets.pages import page_viewset_registry
from wagtail.contrib.sitemaps.views import sitemap as sitemap_view
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.utils.urlpatterns import decorate_urlpatterns

from content.sitemaps import DatasetSitemap, ReachablePageSitemap
from exercises import views as exercise_views

from . import views
from .admin_scoping import (
    ChooserBrowseView,
    ChooserChosenMultipleView,
    ChooserSearchView,
    ExternalLinkView,
    ScopedLockedPagesView,
    ScopedLogEntriesView,
    SuperusersPageTypesUsageView,
    chooser_scoped,
    explorable_pages_only,
    move_confirmation_checked,
    page_bulk_actions_scoped,
    page_of_own_only,
)

# Wagtail's admin views that panlearn scopes (admin_scoping), matched before Wagtail's own. Each is
# decorated as Wagtail decorates its admin: the admin's access check, and never cached (a proxy or the
# browser's back button must not show one user's admin page to another).
_admin_overrides = [
    # Wagtail's site history, narrowed to what each user sees.
    path("admin/reports/site-history/", ScopedLogEntriesView.as_view()),
    path("admin/reports/site-history/results/", ScopedLogEntriesView.as_view(results_only=True)),
    # Wagtail's reports that name users or pages across the site, narrowed.
    path("admin/reports/locked/", ScopedLockedPagesView.as_view()),
    path("admin/reports/locked/results/", ScopedLockedPagesView.as_view(results_only=True)),
    path("admin/reports/page-types-usage/", SuperusersPageTypesUsageView.as_view()),
    path(
        "admin/reports/page-types-usage/results/",
        SuperusersPageTypesUsageView.as_view(results_only=True),
    ),
    # The page explorer, for pages the user may explore only.
    path(
        "admin/pages/<int:parent_page_id>/",
        explorable_pages_only(page_viewset_registry.as_view("index", parent_page_id_kwarg="parent_page_id")),
    ),
    path(
        "admin/pages/<int:parent_page_id>/results/",
        explorable_pages_only(page_viewset_registry.as_view("index_results", parent_page_id_kwarg="parent_page_id")),
    ),
    # Wagtail's page views that name a page before checking the user may see it.
    path(
        "admin/pages/<int:page_to_move_id>/move/<int:destination_id>/confirm/",
        move_confirmation_checked(page_viewset_registry.as_view("move_confirm", page_id_kwarg="page_to_move_id")),
    ),
    *(
        path(
            f"admin/pages/workflow/{route}",
            page_of_own_only(page_viewset_registry.as_view(name, page_id_kwarg="page_id")),
        )
        for route, name in (
            ("action/<int:page_id>/<slug:action_name>/<int:task_state_id>/", "workflow_action"),
            (
                "collect_action_data/<int:page_id>/<slug:action_name>/<int:task_state_id>/",
                "collect_workflow_action_data",
            ),
            ("confirm_cancellation/<int:page_id>/", "confirm_workflow_cancellation"),
            ("preview/<int:page_id>/<int:task_id>/", "workflow_preview"),
        )
    ),
    # The page chooser, scoped and naming pages the user may not edit by their live titles; its external-link
    # tab converts URLs to pages the user may edit only.
    path("admin/choose-page/", ChooserBrowseView.as_view()),
    path(
        "admin/choose-page/<int:parent_page_id>/",
        chooser_scoped(ChooserBrowseView.as_view()),
    ),
    path("admin/choose-page/search/", ChooserSearchView.as_view()),
    path(
        "admin/choose-page/chosen-multiple/",
        chooser_scoped(ChooserChosenMultipleView.as_view()),
    ),
    path("admin/choose-external-link/", ExternalLinkView.as_view()),
    path(
        "admin/bulk/<str:app_label>/<str:model_name>/<str:action>/",
        page_bulk_actions_scoped(bulk_actions),
    ),
]

urlpatterns = [
    path("favicon.ico", views.favicon),
    *decorate_urlpatterns(_admin_overrides, lambda view: never_cache(require_admin_access(view))),
    # Facility and facility staff moved to the facilities app (issue 17); their old admin URLs lead there.
    *(
        re_path(
            rf"^admin/snippets/{old}/(?P<rest>{model}/.*)$",
            RedirectView.as_view(
                url="/admin/snippets/panlearn_facilities/%(rest)s", permanent=False, query_string=True
            ),
        )
        for old, model in (("panlearn_courses", "facility"), ("panlearn_onboarding", "facilitystaff"))
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("accounts.urls")),
    path("learn/cells/", include("cells.urls")),
    # Exercises' endpoints before they had their own URLs (issue 17): a lesson page opened before the upgrade
    # still posts here until it is reloaded.
    path(
        "learn/cells/<int:page_id>/exercises/<int:exercise_id>/check", exercise_views.exercise_submit, {"kind": "check"}
    ),
    path(
        "learn/cells/<int:page_id>/exercises/<int:exercise_id>/submit",
        exercise_views.exercise_submit,
        {"kind": "submit"},
    ),
    path("learn/cells/<int:page_id>/exercises/submissions/<int:submission_id>", exercise_views.submission_status),
    path("learn/exercises/", include("exercises.urls")),
    path("learn/progress/", include("dashboards.urls")),
    # Before onboarding's own pages; /learn/invitations/ is the courses' invitation to one course.
    path("learn/onboarding/invitations/", include("invitations.urls")),
    path("learn/onboarding/", include("onboarding.urls")),
    path("", include("certificates.urls")),  # /verify/<id>/ and /learn/certificates/
    path("api/useroffice/", include("useroffice.urls")),
    path("learn/", include("courses.urls")),
    path("datasets/", include("content.urls")),
    path("xapi/", include("tracking.store.urls")),
    path("oai/", include("oaipmh.urls")),  # OAI-PMH 2.0: published courses and datasets for harvesters
    path("lti/", include("lti.urls")),  # LTI 1.3 tool: login initiation, launch, JWKS, deep linking
    # What catalogues (TeSS, search engines) crawl: Wagtail's live public pages, then the public datasets.
    path("sitemap.xml", sitemap_view, {"sitemaps": {"pages": ReachablePageSitemap, "datasets": DatasetSitemap}}),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving comes last: it catches every remaining path.
urlpatterns += [path("", include(wagtail_urls))]
