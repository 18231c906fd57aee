"""Who may open what: every URL pattern of the site and the admin, for every role (issue 16).

The routes come from the URL resolver, so a new route that no rule below classifies fails
`test_every_route_is_classified`. Each rule builds a real URL (objects of course A and facility X,
which some roles may reach and others not) and says which roles may open it; the matrix test asks as
each role and compares. "May open" is any answer but a refusal; a refusal is a redirect to a sign-in
page, 401, 403 or 404 (a 404 for an object the role may not know of). POST-only routes are posted to
by the roles that must be refused only: for the others a POST would change what later requests see.

What is not asserted: the admin pages of Wagtail itself (pages, images, documents, users, workflows...)
are checked to refuse everyone without admin access; what trainers and facility staff see in them is
Wagtail's page and collection permissions, tested in tests/courses and tests/onboarding.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.urls import URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PanIdentity
from accounts.services import staff_like
from certificates.models import Certificate
from courses import services as courses
from courses.models import CourseInvitation
from exercises.models import Exercise
from facilities.models import FacilityStaff
from lti.models import LtiContext, Platform
from onboarding import services as onboarding
from onboarding.models import Experiment, Participant, Programme, ProgrammeCompletion
from tests.factories import FacilityFactory, UserFactory, trainer_of
from tests.onboarding.conftest import answer, make_course, make_quiz
from tracking.models import StoreClient
from tracking.store import clients

pytestmark = pytest.mark.django_db

ROLES = ("visitor", "student_a", "student_b", "trainer_a", "trainer_b", "staff_x", "staff_y", "superuser")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"visitor"}
ADMIN_USERS = frozenset({"trainer_a", "trainer_b", "staff_x", "staff_y", "superuser"})
SUPERUSER = frozenset({"superuser"})
NOT_ASSERTED = None  # Wagtail's own admin pages, for roles with admin access (see the docstring)
SAME = "same"  # a public route: every role gets the same answer (its parameters may name nothing)


def walk(resolver=None, prefix: str = "", namespace: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from walk(pattern, prefix + str(pattern.pattern), inner)
        else:
            yield prefix + str(pattern.pattern), getattr(pattern.callback, "__module__", "") or ""


@dataclass
class Rule:
    """Routes whose text matches `route` (a regular expression); `url` fills the route's parameters from
    the world; `may` is who may open it (None: only refusals of non-admin users are asserted)."""

    route: str
    may: frozenset | None
    url: object = None  # callable(world, route) -> path, or None to fill the parameters generically
    post_only: bool = False
    why: str = ""
    requested: bool = True
    wagtail_only: bool = False  # matches only routes whose view is Wagtail's own code
    matched: list = field(default_factory=list)


def generic(world, route: str) -> str:
    """The route with a plausible value per parameter: enough to reach the view's access check."""
    path = route.replace("^", "").replace("$", "").replace("\\", "")
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "1", path)
    path = re.sub(r"\(\?:[^)]*\)\*?", "", path)
    path = re.sub(r"\([^)]*\)", "1", path)
    path = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), path)
    path = re.sub(r"<(int|str|slug|path):(\w+)>", lambda m: str(world["ids"].get(m.group(2), 1)), path)
    path = path.replace("?", "").replace(".*", "x").replace(".+", "x")
    return "/" + path


def on(key):
    """A route whose (first) object is the world's `key` (course A's, facility X's)."""
    return lambda world, route: generic(world, re.sub(r"<(?:int|str):\w+>", str(world[key].pk), route, count=1))


SNIPPET_OBJECT = r"^admin/snippets/panlearn_{app}/{model}/(edit|delete|copy|history|history-results|usage|inspect)/"
SNIPPET_ACTION = r"^admin/snippets/panlearn_{app}/{model}/{action}/"
CHOSEN = r"^admin/snippets/choose/panlearn_{app}/{model}/chosen/<str:pk>/$"
STAFF_X = frozenset({"staff_x", "superuser"})
TRAINER_A = frozenset({"trainer_a", "superuser"})
TRAINERS = frozenset({"trainer_a", "trainer_b", "superuser"})
STAFF = frozenset({"staff_x", "staff_y", "superuser"})
CELLS_A = frozenset({"student_a", "trainer_a", "superuser"})  # enrolled in course A, or its editor

# fmt: off
RULES = [
    # -- the public site ---------------------------------------------------------------------------
    Rule(r"^favicon\.ico$", EVERYONE),
    Rule(r"^accounts/(sign-up|login|password-reset|password-reset/sent|reset/done)/$", EVERYONE),
    Rule(r"^accounts/reset/<uidb64>/<token>/$", SAME, why="the link decides; a bad one is answered"),
    Rule(r"^accounts/confirm-email/", SIGNED_IN, why="signed in as the account the token names; a bad one is answered"),
    Rule(r"^accounts/logout/$", EVERYONE, requested=False, why="signs the role out"),
    Rule(r"^accounts/account/$", SIGNED_IN),
    Rule(r"^accounts/account/confirm-email/$", SIGNED_IN, post_only=True),
    Rule(r"^accounts/account/identities/", SIGNED_IN, post_only=True, url=on("identity")),
    Rule(r"^accounts/oidc/", SAME, why="off in tests"),
    Rule(r"^accounts/two-step/", SIGNED_IN, requested=False,
         why="the signed-in account's own devices, no object named; tests/accounts/test_second_factor.py"),
    Rule(r"^_util/", SAME, why="Wagtail's password prompts for restricted pages"),
    Rule(r"^documents/", SAME, why="Wagtail documents: their collections' privacy decides"),
    Rule(r"^datasets/", SAME, why="the open dataset catalogue"),
    Rule(r"^sitemap\.xml$", SAME, why="what catalogues crawl: public pages and datasets, alike for everyone"),
    Rule(r"^lti/(login|launch|jwks|deep-link|link)/$", SAME,
         why="an LMS's messages and the launch they start: the signed message decides (tests/lti)"),
    Rule(r"^oai/$", SAME, why="OAI-PMH: published courses and public datasets, alike for everyone"),
    Rule(r"^learn/catalogue/materials\.jsonld$", SAME, why="the public courses and lessons, alike for everyone"),
    Rule(r"^verify/", EVERYONE, url=lambda w, r: f"/verify/{w['certificate'].public_id}/"),
    Rule(r"^xapi/about$", EVERYONE),
    Rule(r"^xapi/", frozenset(), why="basic auth with a store credential only, never a session"),
    Rule(r"^api/useroffice/", frozenset(), why="a facility's API token only, never a session"),
    Rule(r"^\^admin/snippets/panlearn_(courses|onboarding)/\(\?P<rest>", SAME,
         why="the URLs facilities and their staff had before the facilities app: a redirect for everyone"),
    Rule(r"^\^\(\(\?:", EVERYONE, url=lambda w, r: w["course_a"].url, why="Wagtail serves the public pages"),
    # -- a learner's own pages ---------------------------------------------------------------------
    Rule(r"^learn/(my-courses|progress|certificates|onboarding/ready|onboarding/programmes)/$", SIGNED_IN),
    Rule(r"^learn/certificates/<str:public_id>\.pdf$", frozenset({"student_a", "staff_x", "superuser"}),
         url=lambda w, r: f"/learn/certificates/{w['certificate'].public_id}.pdf"),
    Rule(r"^learn/courses/<int:course_id>/(enrol|unenrol)/$", SIGNED_IN, url=on("course_a"), post_only=True),
    Rule(r"^learn/lessons/<int:lesson_id>/(done|undone)/$", SIGNED_IN, url=on("lesson_a"), post_only=True),
    Rule(r"^learn/invitations/<uuid:token>/$", SIGNED_IN, why="sign in first; then the token decides",
         url=lambda w, r: f"/learn/invitations/{w['invitation_a'].token}/"),
    Rule(r"^learn/onboarding/invitations/account/password/$", SIGNED_IN, why="after an invitation's link"),
    Rule(r"^learn/onboarding/invitations/<str:token>/$", SAME, why="the one-time link decides"),
    Rule(r"^learn/cells/<int:page_id>/(status|events|drafts)$", CELLS_A, url=on("lesson_a"),
         why="a lesson's cells: its course's students and editors; visitors run them without these"),
    Rule(r"^learn/cells/<int:page_id>/drafts/<str:cell_id>/history$", CELLS_A, url=on("lesson_a")),
    Rule(r"^learn/cells/<int:page_id>/drafts/<str:cell_id>$", CELLS_A, url=on("lesson_a"), post_only=True),
    Rule(r"^learn/cells/<int:page_id>/(run|interrupt|restart|examples/)", CELLS_A, url=on("lesson_a"),
         post_only=True),
    Rule(r"^learn/exercises/<int:page_id>/<int:exercise_id>/(check|submit)$", CELLS_A,
         url=lambda w, r: f"/learn/exercises/{w['lesson_a'].pk}/{w['quiz_a'].pk}/" + r.rsplit("/", 1)[1],
         post_only=True),
    Rule(r"^learn/exercises/<int:page_id>/submissions/", frozenset({"student_a"}), why="one's own",
         url=lambda w, r: f"/learn/exercises/{w['lesson_a'].pk}/submissions/{w['submission_a'].pk}"),
    # The same views at their URLs before the exercises had their own (panlearn/urls.py).
    Rule(r"^learn/cells/<int:page_id>/exercises/<int:exercise_id>/(check|submit)$", CELLS_A,
         url=lambda w, r: f"/learn/cells/{w['lesson_a'].pk}/exercises/{w['quiz_a'].pk}/" + r.rsplit("/", 1)[1],
         post_only=True),
    Rule(r"^learn/cells/<int:page_id>/exercises/submissions/", frozenset({"student_a"}), why="one's own",
         url=lambda w, r: f"/learn/cells/{w['lesson_a'].pk}/exercises/submissions/{w['submission_a'].pk}"),
    Rule(r"^learn/cells/<int:page_id>/$", frozenset(), why="the base of the cells' URLs: nothing is served"),
    Rule(r"^learn/exercises/<int:page_id>/$", frozenset(), why="the base of the exercises' URLs: nothing is served"),
    # -- panlearn's admin: object by object ------------------------------------------------------------
    Rule(SNIPPET_OBJECT.format(app="onboarding", model="experiment"), STAFF_X, url=on("experiment_x")),
    Rule(SNIPPET_OBJECT.format(app="onboarding", model="participant"), STAFF_X, url=on("participant_x")),
    Rule(SNIPPET_OBJECT.format(app="onboarding", model="programme"), STAFF_X, url=on("programme_x")),
    # Passes are written by the services only: nobody edits, copies or deletes one, superusers included.
    Rule(SNIPPET_ACTION.format(app="onboarding", model="programmecompletion", action="inspect"), STAFF_X,
         url=on("completion_x")),
    Rule(SNIPPET_OBJECT.format(app="onboarding", model="programmecompletion"), frozenset(), url=on("completion_x")),
    # Who is staff of a facility is the administrators' decision; staff see their colleagues.
    Rule(SNIPPET_ACTION.format(app="facilities", model="facilitystaff", action="inspect"), STAFF_X,
         url=on("staff_row_x")),
    Rule(SNIPPET_OBJECT.format(app="facilities", model="facilitystaff"), SUPERUSER, url=on("staff_row_x")),
    Rule(SNIPPET_ACTION.format(app="exercises", model="exercise", action="delete"), SUPERUSER, url=on("quiz_a")),
    Rule(SNIPPET_OBJECT.format(app="exercises", model="exercise"), TRAINER_A, url=on("quiz_a")),
    # A course invitation is sent, then seen; changing one is the administrators' job.
    Rule(SNIPPET_ACTION.format(app="courses", model="courseinvitation", action="inspect"), TRAINER_A,
         url=on("invitation_a")),
    Rule(SNIPPET_OBJECT.format(app="courses", model="courseinvitation"), SUPERUSER, url=on("invitation_a")),
    # Choosers: the lists answer every admin user with their own objects only (tests of each app); a
    # chosen object outside the role's scope is not found.
    Rule(r"^admin/snippets/choose/panlearn_\w+/\w+/(results/|chosen-multiple/)?$", ADMIN_USERS),
    Rule(CHOSEN.format(app="exercises", model="exercise"), TRAINER_A, url=on("quiz_a")),
    Rule(CHOSEN.format(app="courses", model="courseinvitation"), TRAINER_A, url=on("invitation_a")),
    Rule(CHOSEN.format(app="onboarding", model="experiment"), STAFF_X, url=on("experiment_x")),
    Rule(CHOSEN.format(app="onboarding", model="participant"), STAFF_X, url=on("participant_x")),
    Rule(CHOSEN.format(app="onboarding", model="programme"), STAFF_X, url=on("programme_x")),
    Rule(CHOSEN.format(app="onboarding", model="programmecompletion"), STAFF_X, url=on("completion_x")),
    Rule(CHOSEN.format(app="facilities", model="facilitystaff"), STAFF_X, url=on("staff_row_x")),
    Rule(r"^admin/exercises/gradebook/<int:exercise_id>/", TRAINER_A, url=on("quiz_a")),
    # -- panlearn's admin pages ----------------------------------------------------------------------
    Rule(r"^admin/reports/site-history/", ADMIN_USERS, why="each sees its own objects' entries (test_admin_scoping)"),
    Rule(r"^admin/reports/locked/", SUPERUSER,
         why="Wagtail's: those who may unlock a page; its filter narrowed (tests/courses/test_admin_reports.py)"),
    Rule(r"^admin/reports/page-types-usage/", SUPERUSER, why="it names the last edited page of every course"),
    Rule(r"^admin/exercises/gradebook/$", frozenset({"trainer_a", "trainer_b", "staff_x", "superuser"}),
         why="staff of a facility without a final assessment have no gradebook"),
    Rule(r"^admin/exercises/gradebook/(override|grade)$", ADMIN_USERS, post_only=True,
         why="the exercise is in the form: tests/exercises/test_exercise_access.py posts another course's"),
    Rule(r"^admin/exercises/import-notebook/$", TRAINERS),
    Rule(r"^admin/exercises/<int:pk>/regrade$", TRAINER_A, url=on("quiz_a"), post_only=True),
    Rule(r"^admin/exercises/<int:pk>/regrade/report$", TRAINER_A, url=on("quiz_a")),
    Rule(r"^admin/(runner|tracking/dead-letters|tracking/erasure)/$", SUPERUSER),
    Rule(r"^admin/tracking/dead-letters/resend$", SUPERUSER, post_only=True),
    Rule(r"^admin/datasets/add-by-doi/$", TRAINERS),
    Rule(r"^admin/datasets/imports/<int:pk>/$", frozenset(), why="no import in the world: tests/content"),
    Rule(r"^admin/tracking/dashboards/courses/$", ADMIN_USERS, why="each sees its own courses (test_dashboards)"),
    Rule(r"^admin/tracking/dashboards/courses/<int:pk>/$", TRAINER_A, url=on("course_a")),
    Rule(r"^admin/tracking/dashboards/facilities/$", STAFF),
    Rule(r"^admin/tracking/dashboards/facilities/<int:pk>/$", STAFF_X, url=on("facility_x")),
    Rule(r"^admin/(invitations|invitations/upload|certificates|useroffice)/$", STAFF),
    Rule(r"^admin/useroffice/export\.csv$", STAFF, why="each facility's own rows (tests/useroffice)"),
    Rule(r"^admin/invitations/<int:pk>/$", frozenset(), why="no batch in the world: tests/invitations"),
    Rule(r"^admin/invitations/<int:pk>/(confirm|discard)/$", STAFF, post_only=True),
    Rule(r"^admin/certificates/<int:pk>/revoke/$", STAFF_X, url=on("certificate")),
    Rule(r"^admin/useroffice/tokens/", STAFF, post_only=True),
    Rule(r"^admin/useroffice/webhooks/<int:facility_id>/$", STAFF_X, url=on("facility_x")),
    # LMS registrations, placements, score deliveries and the tool's keys: the site's administrators.
    Rule(r"^admin/lti_platforms/(edit|delete|inspect|history|history-results|copy|usage)/", SUPERUSER,
         url=on("lti_platform")),
    Rule(r"^admin/lti_placements/(edit|delete|inspect|history|history-results|copy|usage)/", SUPERUSER,
         url=on("lti_context_a")),
    Rule(r"^admin/lti_\w+/(edit|delete|inspect|history|history-results|copy|usage)/", frozenset(),
         why="no score delivery in the world: tests/lti"),
    Rule(r"^admin/lti_\w+/", SUPERUSER),
    Rule(r"^admin/lti/keys/$", SUPERUSER),
    # A course's editors let an LMS course's instructors train it (issue 20): each lists the LMS courses of the
    # courses they edit (none: an empty list) and approves or revokes those only (tests/lti/test_trainers.py).
    Rule(r"^admin/lti/lms-courses/$", ADMIN_USERS),
    Rule(r"^admin/lti/lms-courses/<int:pk>/(approve|revoke)/$", TRAINER_A, url=on("lti_context_a"), post_only=True),
    Rule(r"^admin/store_clients/(edit|delete|inspect)/", SUPERUSER, url=on("store_client")),
    Rule(r"^admin/store_clients/", SUPERUSER),
    # -- Wagtail's page admin on course A's pages: its editors, not another course's trainers --------------
    # (tests/courses/test_trainer_page_scope.py: explorer, search, chooser, add, copy, move)
    # The page chooser and its external-link tab: every admin user links to live public pages and to their
    # own; another's drafts and titles stay hidden (tests/courses/test_trainer_page_scope.py).
    Rule(r"^admin/choose-page/(search/|chosen-multiple/)?$", ADMIN_USERS),
    Rule(r"^admin/choose-page/<int:parent_page_id>/$", ADMIN_USERS, url=on("course_a")),
    Rule(r"^admin/choose-external-link/$", ADMIN_USERS),
    Rule(r"^admin/courses/new/$", TRAINERS, why="any trainer starts a course; the catalogue's tester decides"),
    Rule(r"^admin/pages/<int:parent_page_id>/(results/|add_subpage/)?$", TRAINER_A, url=on("course_a")),
    Rule(r"^admin/pages/<int:page_id>/(edit|view_draft|history|history/results|workflow_history|usage|copy|privacy)/$",
         TRAINER_A, url=on("course_a")),
    Rule(r"^admin/pages/<int:page_id>/revisions/$", ADMIN_USERS, url=on("course_a"),
         why="a redirect to history/, which decides"),
    Rule(r"^admin/pages/<int:page_to_move_id>/move/<int:destination_id>/confirm/$", frozenset(), url=on("course_a"),
         why="a course under the tree's root: the move is impossible, for superusers too"),
    # -- the rest of the admin: no admin access, no entry ----------------------------------------------
    Rule(r"^admin/test404/$", NOT_ASSERTED, why="Django's 404 page under the admin"),
    Rule(r"^admin/failwhale/$", EVERYONE, requested=False, why="Wagtail's deliberate error, for everyone"),
    Rule(r"^admin/logout/$", EVERYONE, requested=False, why="signs the role out"),
    Rule(r"^admin/(login|password_reset|jsi18n|sprite)", EVERYONE, why="the admin's sign-in and its assets"),
    # Wagtail's own admin views only: a view of panlearn's that no rule above names fails the classification.
    Rule(r"^admin/", NOT_ASSERTED, wagtail_only=True),
]
# fmt: on


@pytest.fixture
def world(catalogue):
    quiz_a, quiz_b, quiz_x = make_quiz("Quiz of A"), make_quiz("Quiz of B"), make_quiz("Safety quiz")
    course_a, course_b = make_course(catalogue, "Course A", quiz_a), make_course(catalogue, "Course B", quiz_b)
    safety = make_course(catalogue, "Safety induction", quiz_x)
    facility_x, facility_y = FacilityFactory(short_name="FX"), FacilityFactory(short_name="FY")
    programme_x = onboarding.programme_create(facility=facility_x, name="Safety X", courses=[(safety, quiz_x, 80)])
    users = {"superuser": UserFactory(username="root", is_superuser=True, is_staff=True)}
    for role, course in (("student_a", course_a), ("student_b", course_b)):
        users[role] = UserFactory(username=role)
        courses.enrolment_create(user=users[role], course=course)
    for role, course in (("trainer_a", course_a), ("trainer_b", course_b)):
        users[role] = trainer_of(catalogue, role, course)
    for role, facility in (("staff_x", facility_x), ("staff_y", facility_y)):
        users[role] = UserFactory(username=role)
        onboarding.facility_staff_add(facility=facility, user=users[role])
    courses.enrolment_create(user=users["student_a"], course=safety)
    submission_a = answer(users["student_a"], quiz_a, right=4, course=course_a)
    answer(users["student_a"], quiz_x, right=5, course=safety)
    experiment_x = onboarding.experiment_create(
        facility=facility_x, proposal="X-1", title="X experiment", start_date=date(2030, 1, 1)
    )
    participant_x = onboarding.participant_add(experiment=experiment_x, user=users["student_a"])
    lesson_a = course_a.get_children().specific().filter(title="Course A quiz").get()
    store_client, _ = clients.client_create(name="LMS", scopes=[StoreClient.WRITE])
    lti_platform = Platform.objects.create(
        name="Moodle", issuer="https://moodle.example", client_id="panlearn", deployment_ids="1",
        auth_login_url="https://moodle.example/auth", auth_token_url="https://moodle.example/token",
        key_set_url="https://moodle.example/jwks",
    )  # fmt: skip
    return {
        "users": users,
        "course_a": course_a,
        "lesson_a": lesson_a,
        "quiz_a": quiz_a,
        "submission_a": submission_a,
        "experiment_x": experiment_x,
        "participant_x": participant_x,
        "programme_x": programme_x,
        "completion_x": ProgrammeCompletion.objects.get(user=users["student_a"], programme=programme_x),
        "staff_row_x": FacilityStaff.objects.get(user=users["staff_x"]),
        "invitation_a": courses.invitation_create(course=course_a, email="guest@example.org"),
        "certificate": Certificate.objects.get(completion__user=users["student_a"]),
        "store_client": store_client,
        "lti_platform": lti_platform,
        "lti_context_a": LtiContext.objects.create(platform=lti_platform, context_id="physics-101", course=course_a),
        "facility_x": facility_x,
        "identity": PanIdentity.objects.create(user=users["student_a"], issuer="https://idp.example", subject="a"),
        "ids": {},
    }


def rule_for(route: str, module: str) -> Rule | None:
    return next(
        (
            rule
            for rule in RULES
            if re.search(rule.route, route) and (not rule.wagtail_only or module.startswith("wagtail"))
        ),
        None,
    )


def test_every_route_is_classified():
    unclassified = [f"{route} ({module})" for route, module in walk() if rule_for(route, module) is None]
    assert unclassified == [], "routes no rule of the permission matrix covers:\n" + "\n".join(unclassified)


def refused(response, path: str) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    # Wagtail answers a missing admin permission with a redirect to the admin's home and a message
    # (and sends someone already signed in from its sign-in page to the same place: not a refusal).
    to_admin_home = location.rstrip("/") == "/admin" and path != "/admin/login/"
    return "login" in location or "sign-in" in location or to_admin_home


def signed_in_as_in_production(client, user) -> None:
    """With the admin's second factor on, as in production: an account that reaches the admin has an
    authenticator, and this session was verified by it."""
    client.force_login(user)
    if staff_like(user):
        device = TOTPDevice.objects.get_or_create(user=user, name="matrix", defaults={"confirmed": True})[0]
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()


def test_the_permission_matrix(client, world, settings):
    settings.PANLEARN_STAFF_MFA = True
    client.raise_request_exception = False  # an error is a wrong answer, listed with the others
    routes = [(route, rule_for(route, module)) for route, module in walk()]
    wrong, same = [], {}
    for role in ROLES:
        client.logout()
        if role != "visitor":
            signed_in_as_in_production(client, world["users"][role])
        for route, rule in routes:
            if not rule.requested:
                continue
            may = rule.may
            if may == SAME:
                same.setdefault(route, {})[role] = client.get(generic(world, route)).status_code
                continue
            if may is None:  # Wagtail's admin: only that non-admin roles are refused
                if role in ADMIN_USERS:
                    continue
                may = frozenset()
            if rule.post_only and role in may:
                continue  # posting would change what later requests see; refusals are what matters
            path = rule.url(world, route) if rule.url else generic(world, route)
            response = client.post(path) if rule.post_only else client.get(path)
            if response.status_code >= 500 or refused(response, path) == (role in may):
                wrong.append(
                    f"{role:10} {'may' if role in may else 'may not'} open {path} ({route}): "
                    f"{response.status_code} {response.get('Location', '')}"
                )
    for route, answers in same.items():
        if len(set(answers.values())) != 1:
            wrong.append(f"{route}: public, yet answered differently per role: {answers}")
    assert wrong == [], f"{len(wrong)} answers differ from the matrix:\n" + "\n".join(wrong)


def test_the_matrix_has_real_objects_of_both_sides(world):
    """The other course's and the other facility's objects exist: a refusal is about scope, not absence."""
    assert Exercise.objects.filter(title="Quiz of B").exists()
    assert Experiment.objects.count() == 1 and Programme.objects.count() == 1
    assert Participant.objects.exists() and CourseInvitation.objects.exists()
