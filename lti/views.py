"""The tool's endpoints: login initiation, launch, JWKS, deep linking and account linking. Thin: each
verifies through `launch`, writes through `services`, and answers with a redirect or a page."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import deep_linking, keys, services
from .claims import DEEP_LINKING, INSTRUCTOR, RESOURCE_LINK, launch_from
from .exceptions import LaunchRefused
from .launch import oidc_login, restored_launch, verified_launch
from .middleware import frame_origins_remember
from .models import LtiIdentity, Platform
from .trainers import Training

PENDING_LINK = "lti_pending_link"  # a launch waiting for the user's choice: link or a new account
DEEP_LINK_LAUNCH = "lti_deep_link_launch"


def refusals_shown(view):
    @wraps(view)
    def shown(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except LaunchRefused as refused:
            return render(request, "lti/refused.html", {"message": refused.message}, status=refused.status)

    return shown


def _launch_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("lti:launch"))


@csrf_exempt  # the platform's form post: state, nonce and the signature protect it
@require_http_methods(["GET", "POST"])
@refusals_shown
def login(request: HttpRequest) -> HttpResponse:
    # State and nonce go to pylti1p3's cache storage under its own cookie: the session is not touched, so
    # a cross-site request here cannot relax an existing session cookie.
    return oidc_login(request, launch_url=_launch_url(request))


def _sign_in(request: HttpRequest, identity: LtiIdentity) -> None:
    """Sign in (a new session key) and let this session's learner pages be framed by the platform."""
    if not identity.user.is_active:
        raise LaunchRefused("This panlearn account has been deactivated.", status=403)
    auth_login(request, identity.user, backend=settings.AUTHENTICATION_BACKENDS[0])
    frame_origins_remember(request, identity.platform.frame_origins())


def _top_level_only(response: HttpResponse) -> HttpResponse:
    """The account choice decides who the user is here: never inside a frame (clickjacking)."""
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.lti_top_level = True
    return response


@csrf_exempt  # the platform's form post (an id_token): its signature, state and nonce protect it
@require_POST
@refusals_shown
def launch(request: HttpRequest) -> HttpResponse:
    tool_launch, read, platform = verified_launch(request)
    if read.message_type not in (RESOURCE_LINK, DEEP_LINKING):
        raise LaunchRefused(f"panlearn does not handle {read.message_type or 'this kind of'} LTI messages.")
    if read.message_type == DEEP_LINKING and read.role != INSTRUCTOR:
        raise LaunchRefused("Only the LMS course's instructors may place panlearn content.", status=403)
    identity = LtiIdentity.objects.select_related("platform", "user").filter(
        platform=platform, subject=read.subject).first()  # fmt: skip
    if identity is None and request.user.is_authenticated:
        # Signed in already (e.g. the LMS opened panlearn in a new window): ask, never link silently.
        request.session[PENDING_LINK] = {"launch_id": tool_launch.get_launch_id(), "platform": platform.pk}
        return _top_level_only(render(request, "lti/link.html", {"platform": platform, "launch": read}))
    if identity is None:
        identity = services.identity_create(platform=platform, launch=read)
    else:
        services.identity_touch(identity, read)
    return _continue(request, tool_launch, read, identity)


def _continue(request, tool_launch, read, identity) -> HttpResponse:
    if read.message_type == DEEP_LINKING:
        _sign_in(request, identity)  # the launch data stays in pylti1p3's storage, apart from the session
        request.session[DEEP_LINK_LAUNCH] = tool_launch.get_launch_id()
        return redirect("lti:deep_link")
    applied = services.launch_apply(identity=identity, launch=read)
    _sign_in(request, identity)
    _tell_training(request, applied)
    return redirect(applied.page.url)


def _tell_training(request: HttpRequest, applied: services.Applied) -> None:
    if applied.training == Training.GRANTED:
        edit_url = request.build_absolute_uri(reverse("wagtailadmin_pages:edit", args=[applied.course.pk]))
        messages.info(request, f"As an instructor of this LMS course, which the course's editors approved, you edit "
                               f"“{applied.course.title}” in panlearn's admin: {edit_url}")  # fmt: skip
    elif applied.training == Training.AWAITING_APPROVAL:
        messages.info(request, f"You are enrolled in “{applied.course.title}” as a learner. To edit it as this LMS "
                               "course's instructor, ask an editor of the course to approve this LMS course in "
                               "panlearn's admin (LMS courses); then open the activity again.")  # fmt: skip


@require_POST
@refusals_shown
def link(request: HttpRequest) -> HttpResponse:
    """The user's answer on the link page: link the LMS account to the signed-in one, or make a new one."""
    pending = request.session.pop(PENDING_LINK, None)
    if not pending:
        raise LaunchRefused("There is no LMS launch waiting for this choice. Open the activity again.")
    tool_launch = restored_launch(request, pending["launch_id"])
    read = launch_from(tool_launch.get_launch_data())
    platform = Platform.objects.filter(pk=pending["platform"], is_active=True).first()
    if platform is None:  # removed or deactivated while the choice was pending
        raise LaunchRefused("This LMS is not registered with panlearn.", status=403)
    if request.POST.get("choice") == "link" and request.user.is_authenticated:
        identity = services.identity_link(platform=platform, launch=read, user=request.user)
    else:
        identity = services.identity_create(platform=platform, launch=read)
    return _continue(request, tool_launch, read, identity)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(keys.jwks())


@require_http_methods(["GET", "POST"])
@refusals_shown
def deep_link(request: HttpRequest) -> HttpResponse:
    """An instructor picks panlearn content; the answer is a signed LtiDeepLinkingResponse posted back."""
    launch_id = request.session.get(DEEP_LINK_LAUNCH)
    if not launch_id or not request.user.is_authenticated:
        raise LaunchRefused("Open “Select content” from your LMS course again.", status=403)
    if request.method == "GET":
        return render(request, "lti/deep_link.html", {"choices": deep_linking.choices()})
    items = deep_linking.chosen(request.POST.getlist("item"))
    if not items:
        return render(request, "lti/deep_link.html", {"choices": deep_linking.choices(), "error": True}, status=400)
    html = deep_linking.response_form(request, launch_id=launch_id, items=items, launch_url=_launch_url(request))
    del request.session[DEEP_LINK_LAUNCH]
    return HttpResponse(html)
