"""Snippets that each user sees only part of, in every admin view that names them.

A viewset says what a user may see with `scope(queryset, user)`. Three locks then hold it: the
listings' querysets; a check on the object of every edit, delete, copy, history, usage and inspect URL
(404 outside, before the view loads it); and the chooser's list, search and "chosen" answers, which
other models' forms and StreamField blocks open. `ScopedPolicy` gives bulk actions the same answer,
and `ScopedLogEntriesView` the site history report.

Wagtail's reports name users and pages across the site too: the site history's and the locked pages'
user filters list only users of entries and pages the user sees, and the page types usage report (the
last edited page of every type, whoever's course it is in) is for superusers.

Wagtail's admin names a page by its draft title: the page chooser, which offers other trainers' live
pages, names those the user may not edit by their live title (`live_title_unless_editable`).
"""

import functools
import json

import django_filters
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import chooser as page_chooser
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.admin.views.reports.locked_pages import LockedPagesReportFilterSet, LockedPagesView
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import ModelLogEntry, Page
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.permissions import page_permission_policy
from wagtail.snippets.views import chooser as chooser_views
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet


def scope_of(model):
    """The scope of the model's registered viewset, looked up when used (viewsets register after policies)."""

    def scope(queryset, user):
        return model.snippet_viewset.scope(queryset, user)

    return scope


class ScopedObjectMixin:
    """A URL naming an object outside the user's scope is a 404."""

    def setup(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is not None:
            visible = scope_of(self.model)(self.model._default_manager.all(), request.user)
            if not visible.filter(pk=unquote(str(pk))).exists():
                raise Http404
        super().setup(request, *args, **kwargs)


def scoped(view_class):
    return type(f"Scoped{view_class.__name__}", (ScopedObjectMixin, view_class), {})


class _ScopedChooserList:
    def get_object_list(self):
        return scope_of(self.model_class)(super().get_object_list(), self.request.user)


class ScopedChooseView(_ScopedChooserList, chooser_views.ChooseView):
    pass


class ScopedChooseResultsView(_ScopedChooserList, chooser_views.ChooseResultsView):
    pass


class ScopedChosenView(chooser_views.SnippetChosenView):
    def get_object(self, pk):
        return scope_of(self.model_class)(self.model_class.objects.all(), self.request.user).get(pk=pk)


class ScopedChosenMultipleView(chooser_views.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return scope_of(self.model_class)(self.model_class.objects.filter(pk__in=pks), self.request.user)


class ScopedChooserViewSet(chooser_views.SnippetChooserViewSet):
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


class ScopedSnippetViewSet(SnippetViewSet):
    edit_view_class = scoped(snippet_views.EditView)
    delete_view_class = scoped(snippet_views.DeleteView)
    copy_view_class = scoped(snippet_views.CopyView)
    usage_view_class = scoped(snippet_views.UsageView)
    history_view_class = scoped(snippet_views.HistoryView)
    inspect_view_class = scoped(snippet_views.InspectView)
    chooser_viewset_class = ScopedChooserViewSet

    def scope(self, queryset, user):
        """The rows of `queryset` that `user` may see. Subclasses narrow it."""
        return queryset

    def get_queryset(self, request):
        return self.scope(self.model._default_manager.all(), request.user)


class ScopedPolicy(ModelPermissionPolicy):
    """Model permissions as usual, and an object only within the user's scope (for bulk actions)."""

    def __init__(self, model, *, scope, read_only_actions: frozenset = frozenset()):
        super().__init__(model)
        self.scope, self.read_only_actions = scope, read_only_actions

    def user_has_permission(self, user, action):
        if action in self.read_only_actions:
            return False  # written by the services only
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return (
            self.user_has_permission(user, action)
            and self.scope(self.model._default_manager.filter(pk=instance.pk), user).exists()
        )

    def instances_user_has_permission_for(self, user, action):
        if not self.user_has_permission(user, action):
            return self.model._default_manager.none()
        return self.scope(self.model._default_manager.all(), user)


def scoped_snippet_models() -> list:
    from wagtail.snippets.models import get_snippet_models

    return [model for model in get_snippet_models() if isinstance(model.snippet_viewset, ScopedSnippetViewSet)]


def scope_log_entries(queryset, user):
    """Model log entries (a queryset or values() of ModelLogEntry) without those about objects of scoped
    snippets that `user` does not see: a facility's experiments, another course's exercises."""
    if user.is_superuser:
        return queryset
    for model in scoped_snippet_models():
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        visible = scope_of(model)(model._default_manager.all(), user)
        visible_ids = visible.annotate(id_text=Cast("pk", CharField())).values("id_text")
        queryset = queryset.exclude(Q(content_type=content_type) & ~Q(object_id__in=visible_ids))
    return queryset


def _users(ids):
    User = get_user_model()
    return User.objects.filter(pk__in=ids).order_by(User.USERNAME_FIELD)


class ScopedSiteHistoryFilterSet(SiteHistoryReportFilterSet):
    def get_users_queryset(self):
        """Who made the entries this user sees. Wagtail's filter lists whoever made any page's entry."""
        user, ids = self.request.user, set()
        for log_model in log_action_registry.get_log_entry_models():
            entries = log_model.objects.viewable_by_user(user)
            if log_model is ModelLogEntry:
                entries = scope_log_entries(entries, user)
            ids.update(entries.get_user_ids())
        return _users(ids)


class ScopedLogEntriesView(LogEntriesView):
    """Wagtail's site history, which lists every object of a model to anyone with a permission on it,
    narrowed to the objects the user sees elsewhere in the admin (pages are already per page)."""

    filterset_class = ScopedSiteHistoryFilterSet

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if queryset.model is ModelLogEntry:
            queryset = scope_log_entries(queryset, self.request.user)
        return queryset


def _lockers_seen_by(user):
    """Who locked a page that the locked pages report shows this user: those they may change, or
    locked themselves (as Wagtail's `LockedPagesView.get_queryset`)."""
    listed = PagePermissionPolicy().instances_user_has_permission_for(user, "change") | Page.objects.filter(
        locked_by=user
    )
    return _users(listed.filter(locked=True).values("locked_by"))


class ScopedLockedPagesFilterSet(LockedPagesReportFilterSet):
    # Wagtail lists everyone who locked any page.
    locked_by = django_filters.ModelChoiceFilter(
        label=_("Locked by"),
        empty_label=_("Anyone"),
        field_name="locked_by",
        queryset=lambda request: _lockers_seen_by(request.user),
    )


class ScopedLockedPagesView(LockedPagesView):
    filterset_class = ScopedLockedPagesFilterSet


class SuperusersPageTypesUsageView(PageTypesUsageReportView):
    """Page types usage names the last edited page of every type, in any course: superusers only."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _explorable(user, page_ids) -> set[int]:
    """Of these pages, those the user may explore (their own courses and the ways to them)."""
    return set(page_permission_policy.explorable_instances(user).filter(pk__in=page_ids).values_list("pk", flat=True))


def choosable_pages(pages, user):
    """What a page chooser offers: any page the public sees (a link to another course's live lesson is
    fine), and of the rest only the pages the user may explore, never another trainer's drafts."""
    if user.is_superuser:
        return pages
    own = list(page_permission_policy.explorable_instances(user).values_list("pk", flat=True))
    return pages.filter(pk__in=pages.live().public().values("pk")) | pages.filter(pk__in=own)


def explorable_pages_only(view):
    """Wagtail opens the explorer of any page below the user's explorable root, with its title and
    status, even one the user holds no permission on (another trainer's draft course). Such a page is
    not found; the root's ancestors still lead to the root, as in Wagtail."""

    @functools.wraps(view)
    def explore(request, parent_page_id, **kwargs):
        user = request.user
        page = Page.objects.filter(pk=parent_page_id).first()
        root = page_permission_policy.explorable_root_instance(user) if not user.is_superuser else None
        if (
            page is not None
            and root is not None
            and not (page.pk == root.pk or root.is_descendant_of(page) or _explorable(user, [page.pk]))
        ):
            raise Http404
        return view(request, parent_page_id=parent_page_id, **kwargs)

    return explore


def page_of_own_only(view, page_kwarg: str = "page_id"):
    """Wagtail's page views that name the page before they check a permission (a workflow step's
    messages, the move confirmation's slug check): a page the user may not explore is not found."""

    @functools.wraps(view)
    def scoped(request, **kwargs):
        if not request.user.is_superuser and not _explorable(request.user, [kwargs[page_kwarg]]):
            raise Http404
        return view(request, **kwargs)

    return scoped


def move_confirmation_checked(view):
    """The move confirmation flashes a slug clash before its permission hook runs: a move the user may
    not make is refused first."""

    @functools.wraps(view)
    def confirm(request, page_to_move_id, destination_id, **kwargs):
        page = Page.objects.filter(pk=page_to_move_id).first()
        destination = Page.objects.filter(pk=destination_id).first()
        if page is None or destination is None:
            raise Http404
        if not page.permissions_for_user(request.user).can_move_to(destination):
            raise PermissionDenied
        return view(request, page_to_move_id=page_to_move_id, destination_id=destination_id, **kwargs)

    return page_of_own_only(confirm, "page_to_move_id")


def chooser_scoped(view):
    """The page chooser's browse view shows its parent's row, and chosen-multiple describes any ids it is
    given; both keep to choosable_pages."""

    @functools.wraps(view)
    def choose(request, parent_page_id=None, **kwargs):
        user = request.user
        if not user.is_superuser:
            if (
                parent_page_id is not None
                and not choosable_pages(Page.objects.filter(pk=parent_page_id), user).exists()
            ):
                raise Http404
            if "id" in request.GET:
                wanted = [pk for pk in request.GET.getlist("id") if pk.isdigit()]
                kept = choosable_pages(Page.objects.filter(pk__in=wanted), user).values_list("pk", flat=True)
                request.GET = request.GET.copy()
                request.GET.setlist("id", [str(pk) for pk in kept])
        if parent_page_id is not None:
            kwargs["parent_page_id"] = parent_page_id
        return view(request, **kwargs)

    return choose


def live_title_unless_editable(page, user):
    """`page`, named for `user`: Wagtail's admin display title is the draft title, the unpublished work of
    the page's editors, so a page the user may not edit shows its live title (on this instance only)."""
    if not page_permission_policy.user_has_permission_for_instance(user, "change", page):
        page.draft_title = page.title
    return page


class _RowPageByLiveTitle:
    """A chooser column whose cell names its row's page (the title, and the "explore subpages of" link)."""

    def get_cell_context_data(self, instance, parent_context):
        live_title_unless_editable(instance, parent_context["request"].user)
        return super().get_cell_context_data(instance, parent_context)


class _PageTitleColumn(_RowPageByLiveTitle, page_chooser.PageTitleColumn):
    pass


class _PageNavigateToChildrenColumn(_RowPageByLiveTitle, page_chooser.PageNavigateToChildrenColumn):
    pass


class _ParentPageColumn(page_chooser.ParentPageColumn):
    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        if context["value"] is not None:
            live_title_unless_editable(context["value"], parent_context["request"].user)
        return context


_COLUMNS_BY_LIVE_TITLE = {
    page_chooser.PageTitleColumn: _PageTitleColumn,
    page_chooser.PageNavigateToChildrenColumn: _PageNavigateToChildrenColumn,
    page_chooser.ParentPageColumn: _ParentPageColumn,
}


class _ColumnsByLiveTitle:
    @property
    def columns(self):
        """Wagtail's columns, as configured there, with those that name a page swapped for the subclasses
        above (Wagtail's views build their columns inline, with no hook to pass other classes)."""
        columns = super().columns
        for column in columns:
            column.__class__ = _COLUMNS_BY_LIVE_TITLE.get(type(column), type(column))
        return columns


class ChooserBrowseView(_ColumnsByLiveTitle, page_chooser.BrowseView):
    """The chooser's browse view. Its breadcrumbs are the parent page's `chooser_breadcrumbs`
    (templates/wagtailadmin/chooser/_browse_results.html): Wagtail's `page_breadcrumbs` tag names each
    ancestor by its draft title, another course's included when the user browses one of its lessons."""

    def get_object_list(self):
        # The first hook after the view has found its parent page, which the template receives.
        self.parent_page.chooser_breadcrumbs = self.breadcrumbs_items()
        return super().get_object_list()

    def breadcrumbs_items(self) -> list[dict]:
        """As Wagtail's `get_breadcrumbs_items_for_page`: the parent's ancestors below the user's explorable
        root, each linking to its own browse view with this query string less the page number."""
        user = self.request.user
        root = page_permission_policy.explorable_root_instance(user)
        if root is None:
            return []
        query = self.request.GET.copy()
        query.pop("p", None)
        ancestors = self.parent_page.get_ancestors().descendant_of(root, inclusive=True).specific(defer=True)
        return [
            {
                "url": f"{reverse('wagtailadmin_choose_page_child', args=(page.pk,))}?{query.urlencode()}",
                "label": live_title_unless_editable(page, user).get_admin_display_title(),
            }
            for page in ancestors
        ]


class ChooserSearchView(_ColumnsByLiveTitle, page_chooser.SearchView):
    pass


class ChooserChosenMultipleView(page_chooser.ChosenMultipleView):
    """The chosen pages' JSON, whose `adminTitle` the chooser widget shows."""

    def render_chosen_response(self, result):
        pages = {page.pk: page for page in Page.objects.filter(pk__in=[item["id"] for item in result]).specific()}
        for item in result:
            page = live_title_unless_editable(pages[item["id"]], self.request.user)
            item["adminTitle"] = page.get_admin_display_title()
        return super().render_chosen_response(result)


class ExternalLinkView(page_chooser.ExternalLinkView):
    """The link chooser's "external link" tab turns a URL that routes to a page into a link to that page,
    named by its draft title, and routes to private pages and to live pages below drafts alike: a probe of
    URLs would read other trainers' unpublished titles and find their private pages. A URL converts only
    to a page the user may edit; any other stays the external link it was typed as, the same answer a URL
    that matches no page gets."""

    def post(self, request):
        response = super().post(request)
        page_id = _converted_page_id(response)
        if page_id is None:
            return response
        page = Page.objects.filter(pk=page_id).first()
        if page is not None and page_permission_policy.user_has_permission_for_instance(request.user, "change", page):
            return response
        return self.render_chosen_response(self.get_result_data())


def _converted_page_id(response) -> int | None:
    """The page a link-chooser answer converted the URL to: its chosen result, or the page it asks to
    confirm; None for an external link or the form shown again."""
    if response.get("Content-Type", "").split(";")[0] != "application/json":
        return None
    data = json.loads(response.content)
    page = data.get("internal") or data.get("result") or {}
    return page.get("id") if isinstance(page, dict) else None


def page_bulk_actions_scoped(view):
    """Wagtail's page bulk actions list every selected page, "all" under a parent included, and name those
    the user may not act on: only pages the user may explore are passed on (the "all" of a listing is
    resolved as Wagtail does, search included, then narrowed)."""

    @functools.wraps(view)
    def bulk(request, app_label, model_name, action):
        if not request.user.is_superuser and (app_label, model_name) == ("wagtailcore", "page"):
            from wagtail.admin.views.bulk_action.registry import bulk_action_registry

            ids = request.GET.getlist("id")
            if "all" in ids:
                action_class = bulk_action_registry.get_bulk_action_class(app_label, model_name, action)
                if action_class is None:
                    raise Http404
                listing = action_class(request, Page).get_all_objects_in_listing_query(request.GET.get("childOf"))
                ids = list(listing)
            kept = _explorable(request.user, [pk for pk in map(str, ids) if pk.isdigit()])
            if not kept:
                raise Http404
            query = request.GET.copy()
            query.setlist("id", [str(pk) for pk in sorted(kept)])
            query.pop("childOf", None)
            request.GET = query
        return view(request, app_label=app_label, model_name=model_name, action=action)

    return bulk
