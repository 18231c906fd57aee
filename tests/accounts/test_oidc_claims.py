"""The checks panlearn adds on top of mozilla-django-oidc, and the account rules, without a provider."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from accounts import oidc
from accounts.models import PanIdentity
from accounts.selectors import email_is_confirmed
from accounts.services import (
    NO_NEW_ACCOUNTS,
    UNVERIFIED_EMAIL,
    PanIdentityRefused,
    email_is_verified,
    pan_identity_sign_in,
)
from tests.factories import UserFactory
from tests.oidc_provider.server import free_port

ISSUER = "https://login.umbrellaid.example/realms/pan"


def exchange(**overrides) -> oidc.CodeExchange:
    config = oidc.ProviderConfig(
        issuer=ISSUER,
        authorization_endpoint=f"{ISSUER}/auth",
        token_endpoint=f"{ISSUER}/token",
        userinfo_endpoint=f"{ISSUER}/userinfo",
        jwks_uri=f"{ISSUER}/certs",
        client_id="panlearn",
        client_secret="s",
        scopes="openid email",
        display_name="UmbrellaID",
        sign_algo="RS256",
        use_pkce=True,
        token_basic_auth=False,
        timeout=5,
    )
    return oidc.CodeExchange(config)


GOOD = {"iss": ISSUER, "aud": "panlearn", "sub": "u-1", "exp": 2_000_000_000}


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-client"},
        {"aud": ["another-client", "panlearn"], "azp": "another-client"},
        {"iss": "https://evil.example/realms/pan"},
        {"sub": ""},
        {"exp": None},
    ],
)
def test_an_id_token_for_another_client_issuer_or_without_subject_is_refused(changes):
    payload = {**GOOD, **changes}
    payload = {key: value for key, value in payload.items() if value is not None}
    with pytest.raises(SuspiciousOperation):
        exchange()._check_id_token(payload)


def test_a_proper_id_token_passes():
    exchange()._check_id_token(GOOD)
    exchange()._check_id_token({**GOOD, "aud": ["panlearn", "other"], "azp": "panlearn"})


@pytest.mark.parametrize(
    ("value", "verified"),
    [(True, True), ("true", True), ("TRUE", True), (False, False), ("false", False), (None, False)],
)
def test_only_an_explicit_true_verifies_an_email(value, verified):
    assert email_is_verified({"email_verified": value}) is verified


@pytest.mark.django_db
def test_usernames_from_claims_are_safe_and_unique():
    UserFactory(username="marie")
    claims = {"sub": "1", "preferred_username": "marie", "email": "m@x.org", "email_verified": True}
    first = pan_identity_sign_in(issuer=ISSUER, claims=claims).user
    second = pan_identity_sign_in(
        issuer=ISSUER, claims={**claims, "sub": "2", "email": "m2@x.org", "preferred_username": "Marie"}
    ).user
    odd = pan_identity_sign_in(
        issuer=ISSUER,
        claims={"sub": "3", "preferred_username": "Ŝkłodowska <script>", "email_verified": False},
        new_account_chosen=True,
    ).user
    assert first.username == "marie-2" and second.username == "Marie-3"
    assert odd.username == "Skodowska-script" and odd.email == ""


@pytest.mark.django_db
def test_an_unverified_email_is_answered_alike_whoever_uses_the_address():
    """A provider that lets people type any address must not tell them which addresses have an account here:
    without a verified email, no account is looked at, and the person chooses."""
    claims = {"sub": "9", "email": "claimed@x.org", "email_verified": False}

    def answers() -> list[tuple[str, str]]:
        found = []
        for create_users in (True, False):
            with pytest.raises(PanIdentityRefused) as refused:
                pan_identity_sign_in(issuer=ISSUER, claims=claims, create_users=create_users)
            found.append((refused.value.reason, str(refused.value)))
        return found

    without_account = answers()
    owner = UserFactory(username="owner", email="claimed@x.org", last_login=timezone.now())
    assert email_is_confirmed(owner)
    assert (
        answers() == without_account == [("unverified_email", UNVERIFIED_EMAIL), ("no_new_accounts", NO_NEW_ACCOUNTS)]
    )
    assert not PanIdentity.objects.exists()

    chosen = pan_identity_sign_in(issuer=ISSUER, claims=claims, new_account_chosen=True)
    assert chosen.created and chosen.user != owner
    assert chosen.user.email == ""  # an address the provider has not confirmed is not kept
    assert PanIdentity.objects.get().user == chosen.user


@pytest.mark.django_db
def test_accounts_are_not_created_when_the_operator_says_so():
    with pytest.raises(PanIdentityRefused) as refused:
        pan_identity_sign_in(
            issuer=ISSUER, claims={"sub": "5", "email": "n@x.org", "email_verified": True}, create_users=False
        )
    assert refused.value.reason == "no_new_accounts"


@pytest.mark.django_db
def test_an_unreachable_provider_is_explained(client, settings):
    settings.PANLEARN_OIDC_ISSUER = f"http://127.0.0.1:{free_port()}/realms/pan"
    settings.PANLEARN_OIDC_CLIENT_ID = "panlearn"
    settings.PANLEARN_OIDC_DISPLAY_NAME = "UmbrellaID"
    settings.PANLEARN_OIDC_TIMEOUT = 2
    response = client.get("/accounts/oidc/login/", follow=True)
    assert "UmbrellaID cannot be reached right now" in response.text


@pytest.mark.django_db
def test_an_unconfirmed_address_never_opens_the_account_that_typed_it():
    """Mallory signed up with alice@; Alice's verified identity then opened Mallory's account (review of
    2026-12-04). An unconfirmed address now matches nothing: Alice gets an account of her own, whose address
    her provider verified, and Mallory's keeps nothing of hers."""
    mallory = UserFactory(username="mallory", email="alice@x.org", confirmed=False, last_login=timezone.now())
    signed_in = pan_identity_sign_in(issuer=ISSUER, claims={"sub": "7", "email": "alice@x.org", "email_verified": True})
    assert signed_in.created and signed_in.user != mallory and not signed_in.linked_by_email
    assert email_is_confirmed(signed_in.user) and not email_is_confirmed(mallory)
    assert not PanIdentity.objects.filter(user=mallory).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("account", ["staff", "trainer", "facility_staff"])
def test_a_verified_email_alone_does_not_open_an_account_that_reaches_the_admin(account, catalogue):
    """Trainers and facility staff reach the admin through their groups, without is_staff: they are staff here
    too, and their account must be linked by its owner, signed in with its password."""
    from courses import services as courses
    from onboarding import services as onboarding
    from tests.factories import FacilityFactory

    held = UserFactory(username="held", email="held@x.org", is_staff=account == "staff", last_login=timezone.now())
    if account == "trainer":
        held.groups.add(courses.trainers_group_setup())
    elif account == "facility_staff":
        onboarding.facility_staff_add(facility=FacilityFactory(), user=held)
    with pytest.raises(PanIdentityRefused) as refused:
        pan_identity_sign_in(issuer=ISSUER, claims={"sub": "7", "email": "held@x.org", "email_verified": True})
    assert refused.value.reason == "link_required"
    assert not PanIdentity.objects.exists()


@pytest.mark.django_db
def test_a_confirmed_address_verified_by_the_provider_links_a_learners_account():
    learner = UserFactory(username="lise", email="lise@x.org", last_login=timezone.now())
    signed_in = pan_identity_sign_in(issuer=ISSUER, claims={"sub": "8", "email": "LISE@x.org", "email_verified": True})
    assert signed_in.user == learner and signed_in.linked_by_email
