import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .models import PanIdentity


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str, first_name: str = "") -> User:
    return User.objects.create_user(username=username, email=email, password=password, first_name=first_name)


class PanIdentityRefused(Exception):
    """A PaN identity may not sign in to (or be linked to) an account: `reason` for code, `str()` for the user."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PanSignIn:
    user: User
    created: bool = False
    linked_by_email: bool = False


def email_is_verified(claims: dict) -> bool:
    """Only an explicit `email_verified: true` counts; some providers send the string "true"."""
    verified = claims.get("email_verified")
    return verified is True or (isinstance(verified, str) and verified.strip().lower() == "true")


def _claimed_email(claims: dict) -> str:
    email = claims.get("email")
    return email.strip().lower() if isinstance(email, str) else ""


@transaction.atomic
def pan_identity_sign_in(*, issuer: str, claims: dict, create_users: bool = True) -> PanSignIn:
    """The account a PaN identity signs in to: the one it is linked to, else the one whose email the provider
    has verified (and the link is made), else a new account. An unverified email never reaches an account."""
    subject = str(claims["sub"])
    email = _claimed_email(claims)
    identity = PanIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        _check_active(identity.user)
        _touch(identity, email)
        return PanSignIn(user=identity.user)

    verified = email_is_verified(claims)
    matches = list(User.objects.filter(email__iexact=email)[:2]) if email else []
    if matches and not verified:
        raise PanIdentityRefused(
            "unverified_email",
            f"An account with the email address {email} already exists, but your identity provider has not "
            "confirmed that this address is yours. Sign in with your password, then link your identity "
            "from your account page.",
        )
    if len(matches) > 1:
        raise PanIdentityRefused(
            "ambiguous_email",
            f"Several accounts use the email address {email}. Sign in to the right one with its password, "
            "then link your identity from your account page.",
        )
    if matches and (matches[0].is_staff or matches[0].is_superuser or matches[0].last_login is None):
        # Sign-up does not confirm addresses: an account nobody ever signed in to may have been made with
        # someone else's address, and a staff account is worth too much to open on an address alone.
        raise PanIdentityRefused(
            "link_required",
            f"An account with the email address {email} already exists. Sign in to it with its password, then "
            "link your identity from your account page.",
        )
    if matches:
        user = matches[0]
        _check_active(user)
        PanIdentity.objects.create(user=user, issuer=issuer, subject=subject, email=email, last_login_at=timezone.now())
        return PanSignIn(user=user, linked_by_email=True)

    if not create_users:
        raise PanIdentityRefused(
            "no_new_accounts",
            "There is no panlearn account for this identity yet. Create one or sign in with your password, "
            "then link your identity from your account page.",
        )
    user = User.objects.create_user(
        username=_unique_username(claims),
        email=email if verified else "",  # an address the provider has not confirmed is not kept
        password=None,
        first_name=str(claims.get("given_name") or claims.get("name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150] if claims.get("given_name") else "",
    )
    PanIdentity.objects.create(user=user, issuer=issuer, subject=subject, email=email, last_login_at=timezone.now())
    return PanSignIn(user=user, created=True)


@transaction.atomic
def pan_identity_link(*, user: User, issuer: str, claims: dict) -> PanIdentity:
    """Link a PaN identity to a signed-in user, who has just proven both: no email needs to match."""
    subject = str(claims["sub"])
    identity = PanIdentity.objects.select_for_update().filter(issuer=issuer, subject=subject).first()
    if identity is not None and identity.user_id != user.pk:
        raise PanIdentityRefused(
            "linked_elsewhere", "This identity is already linked to another panlearn account. Unlink it there first."
        )
    if identity is None:
        identity = PanIdentity(user=user, issuer=issuer, subject=subject)
    identity.email = _claimed_email(claims)
    identity.last_login_at = timezone.now()
    identity.save()
    return identity


@transaction.atomic
def pan_identity_unlink(*, user: User, identity_id: int) -> None:
    identity = PanIdentity.objects.select_for_update().get(pk=identity_id, user=user)
    if not user.has_usable_password() and not user.pan_identities.exclude(pk=identity.pk).exists():
        raise PanIdentityRefused(
            "last_way_in",
            "This identity is your only way to sign in. Set a password first (use “Forgotten your password?” "
            "on the sign-in page), then unlink it.",
        )
    identity.delete()


def _check_active(user: User) -> None:
    if not user.is_active:
        raise PanIdentityRefused("inactive", "This account has been deactivated.")


def _touch(identity: PanIdentity, email: str) -> None:
    identity.last_login_at = timezone.now()
    identity.email = email
    identity.save(update_fields=["last_login_at", "email"])


_NOT_IN_USERNAME = re.compile(r"[^\w.+-]+", re.ASCII)


def _unique_username(claims: dict) -> str:
    """A readable username from the claims, limited to Django's characters, made unique with a counter."""
    base = ""
    for candidate in (claims.get("preferred_username"), _claimed_email(claims), claims.get("name")):
        if not isinstance(candidate, str):
            continue
        ascii_text = unicodedata.normalize("NFKD", candidate.split("@")[0]).encode("ascii", "ignore").decode()
        base = _NOT_IN_USERNAME.sub("-", ascii_text).strip(".-+_")[:120]
        if base:
            break
    base = base or "pan-user"
    username, counter = base, 1
    while User.objects.filter(username__iexact=username).exists():
        counter += 1
        username = f"{base}-{counter}"
    return username
