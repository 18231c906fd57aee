"""The tool's endpoints: login initiation, launch, JWKS, deep linking and account linking. Thin: each
verifies through `launch`, writes through `services`, and answers with a redirect or a page."""

from functools import wraps

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.exception import LtiException

from . import deep_linking, keys, services
from .claims import DEEP_LINKING, INSTRUCTOR, RESOURCE_LINK, launch_from
from .exceptions import LaunchRefused
from .launch import message_launch, oidc_login, verified_launch
from .middleware import FRAME_COOKIE, frame_cookie_value
from .models import LtiIdentity, Platform

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
    response = oidc_login(request, launch_url=_launch_url(request))
    response.lti_cross_site = True  # the session holding the nonce must come back with the cross-site launch
    return response


def _signed_in(request: HttpRequest, identity: LtiIdentity, response: HttpResponse) -> HttpResponse:
    origins = identity.platform.frame_origins()
    response.set_cookie(FRAME_COOKIE, frame_cookie_value(origins), max_age=settings.PANLEARN_LTI_FRAME_MAX_AGE,
                        httponly=True, secure=True, samesite="None")  # fmt: skip
    response.lti_frame_origins = origins
    return response


def _sign_in(request: HttpRequest, identity: LtiIdentity) -> None:
    auth_login(request, identity.user, backend=settings.AUTHENTICATION_BACKENDS[0])


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
        response = render(request, "lti/link.html", {"platform": platform, "launch": read})
        return _signed_in(request, LtiIdentity(platform=platform), response)
    if identity is None:
        identity = services.identity_create(platform=platform, launch=read)
    else:
        if not identity.user.is_active:
            raise LaunchRefused("This panlearn account has been deactivated.", status=403)
        services.identity_touch(identity, read)
    return _continue(request, tool_launch, read, identity)


def _continue(request, tool_launch, read, identity) -> HttpResponse:
    if read.message_type == DEEP_LINKING:
        body, launch_id = tool_launch.get_launch_data(), tool_launch.get_launch_id()
        _sign_in(request, identity)  # a different user signed in before: the session was flushed, keep the launch
        tool_launch.get_session_service().save_launch_data(launch_id, body)
        request.session[DEEP_LINK_LAUNCH] = launch_id
        return _signed_in(request, identity, redirect("lti:deep_link"))
    page = services.launch_apply(identity=identity, launch=read)
    _sign_in(request, identity)
    return _signed_in(request, identity, redirect(page.url))


@require_POST
@refusals_shown
def link(request: HttpRequest) -> HttpResponse:
    """The user's answer on the link page: link the LMS account to the signed-in one, or make a new one."""
    pending = request.session.pop(PENDING_LINK, None)
    if not pending:
        raise LaunchRefused("There is no LMS launch waiting for this choice. Open the activity again.")
    tool_launch = message_launch(request)
    try:
        tool_launch = tool_launch.from_cache(pending["launch_id"], request, tool_launch.get_tool_conf())
    except LtiException as error:
        raise LaunchRefused("The LMS launch expired. Open the activity again.") from error
    read = launch_from(tool_launch.get_launch_data())
    platform = Platform.objects.get(pk=pending["platform"])
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
