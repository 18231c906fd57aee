import contextlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ConfirmedEmail, PanIdentity
from .selectors import users_with_confirmed_email

CONFIRMATION_SALT = "panlearn.accounts.email-confirmation"
CONFIRMATION_DAYS = 3


def user_sign_up(*, username: str, email: str, password: str, first_name: str = "") -> User:
    """A new account; its address counts for nothing until confirmed (`email_confirmation_send`).

    The password is hashed first, outside any transaction: the hash may wait its turn for seconds in a rush
    (accounts/hashing.py), and a transaction would hold a database connection all that time."""
    user = User(
        username=User.normalize_username(username),
        email=User.objects.normalize_email(email),
        first_name=first_name,
        password=make_password(password),
    )  # as UserManager.create_user makes it, with the hash done first
    with transaction.atomic():  # the row and what its signals add, together
        user.save()
    return user


class EmailNotConfirmed(Exception):
    """A confirmation link that cannot confirm: `str()` says why, for the user."""


def email_confirm(*, user: User, how: str, email: str | None = None) -> ConfirmedEmail:
    """Record that `user` receives mail at `email` (their current address by default). Refused when the address
    is already confirmed for another account: one mailbox, one account that it vouches for."""
    address = (email if email is not None else user.email).strip().lower()
    if not address:
        raise EmailNotConfirmed("This account has no email address to confirm.")
    existing = ConfirmedEmail.objects.filter(email=address).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise EmailNotConfirmed(
                f"{address} is already confirmed for another panlearn account. Sign in to that one, or ask an "
                "administrator."
            )
        return existing
    try:
        with transaction.atomic():
            return ConfirmedEmail.objects.create(user=user, email=address, how=how)
    except IntegrityError as error:  # the same address confirmed at the same moment elsewhere
        raise EmailNotConfirmed(f"{address} is already confirmed for another panlearn account.") from error


def email_confirm_proven(*, user: User, address: str, how: str, now: datetime | None = None) -> bool:
    """The user has just shown they receive mail at `address` (`how`: LINK, PROVIDER). If that is still their
    address and it was confirmed only on a facility's word (FACILITY), it is now proven; other confirmations
    stay as they are. A proof of an address the account has since left proves nothing about its current one."""
    address = address.strip().lower()
    if not address or address != user.email.strip().lower():
        return False
    confirmations = ConfirmedEmail.objects.filter(user=user, email=address, how=ConfirmedEmail.FACILITY)
    return confirmations.update(how=how, confirmed_at=now or timezone.now()) > 0


def email_confirmation_token(user: User) -> str:
    """A signed, expiring token naming the account and the address it was sent to."""
    return signing.dumps({"user": user.pk, "email": user.email.strip().lower()}, salt=CONFIRMATION_SALT)


def email_confirm_by_token(token: str, *, user: User, confirm: bool = True) -> User:
    """Check the link for the signed-in `user` and, with `confirm`, confirm their address."""
    try:
        data = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_DAYS * 86400)
    except signing.SignatureExpired as error:
        raise EmailNotConfirmed("This link has expired. Ask for a new one on your account page.") from error
    except signing.BadSignature as error:
        raise EmailNotConfirmed("This link is not valid. Copy the whole link from the email.") from error
    if data.get("user") != user.pk:
        raise EmailNotConfirmed(
            f"This link confirms an address for another panlearn account, not for {user.get_username()}. If you "
            "did not create that account, ignore the message: nothing happens without the link."
        )
    if user.email.strip().lower() != data.get("email"):
        raise EmailNotConfirmed("This link was for an address your account no longer uses.")
    if confirm:
        email_confirm(user=user, how=ConfirmedEmail.LINK)
    return user


def email_confirmation_send(*, user: User, base_url: str) -> None:
    from django.urls import reverse

    link = base_url.rstrip("/") + reverse("accounts:email_confirm", args=[email_confirmation_token(user)])
    send_mail(
        subject="Confirm your email address for panlearn",
        message=(
            f"Hello {user.first_name or user.username},\n\n"
            f"open this link, signed in as {user.get_username()}, to confirm that {user.email} is yours:\n\n{link}\n\n"
            f"Until you do, course invitations and facility places sent to this address do not reach your "
            f"account. The link works for {CONFIRMATION_DAYS} days. If you did not create a panlearn account, "
            "ignore this message: nothing happens without the link.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def staff_like(user: User) -> bool:
    """Staff, superusers, and trainers and facility staff, who reach the admin through their groups."""
    return user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin")


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


NO_NEW_ACCOUNTS = (
    "There is no panlearn account for this identity yet. Create one or sign in with your password, then link "
    "your identity from your account page."
)
UNVERIFIED_EMAIL = (
    "Your identity provider did not confirm your email address, so this identity is not linked to any existing "
    "account. If you already have a panlearn account, sign in with your password and link this identity from "
    "your account page. Otherwise, create a new account with this identity."
)


@transaction.atomic
def pan_identity_sign_in(
    *, issuer: str, claims: dict, create_users: bool = True, new_account_chosen: bool = False
) -> PanSignIn:
    """The account a PaN identity signs in to: the one it is linked to, else the one whose confirmed email the
    provider has verified too (and the link is made), else a new account. Without a verified email, existing
    accounts are not even looked at: the person chooses a new account (`new_account_chosen`) or signs in with
    their password to link the identity."""
    subject = str(claims["sub"])
    email = _claimed_email(claims)
    identity = PanIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        _check_active(identity.user)
        _touch(identity, email)
        return PanSignIn(user=identity.user)

    if not (email_is_verified(claims) and email):
        # Whatever is done here must not depend on who uses the address: an answer that did would tell anyone
        # who can type an address at their provider whether it has an account here.
        if not create_users:
            raise PanIdentityRefused("no_new_accounts", NO_NEW_ACCOUNTS)
        if not new_account_chosen:
            raise PanIdentityRefused("unverified_email", UNVERIFIED_EMAIL)
        return PanSignIn(user=_user_create(issuer=issuer, claims=claims, email=""), created=True)

    # Only an address the account has confirmed vouches for it: sign-up takes any address. An account whose
    # address is not confirmed is not matched: the identity gets an account of its own, and whoever typed that
    # address at sign-up gains nothing.
    matches = list(users_with_confirmed_email([email])[:2])
    if len(matches) > 1:
        raise PanIdentityRefused(
            "ambiguous_email",
            f"Several accounts use the email address {email}. Sign in to the right one with its password, "
            "then link your identity from your account page.",
        )
    # An account that reaches the admin (staff, trainers, facility staff) is worth too much to open on an
    # address alone. So is one that somebody already uses while its address is confirmed only on a facility's
    # word (FACILITY): they never showed they receive mail there. An account an import made that nobody has
    # entered yet (no password, never signed in) is opened: that is how an invitee first signs in with
    # UmbrellaID, and the provider's verification then proves the address.
    if matches and (staff_like(matches[0]) or _used_on_the_facilitys_word(matches[0], email)):
        raise PanIdentityRefused(
            "link_required",
            f"An account with the email address {email} already exists. Sign in to it with its password, then "
            "link your identity from your account page.",
        )
    if matches:
        user = matches[0]
        _check_active(user)
        PanIdentity.objects.create(user=user, issuer=issuer, subject=subject, email=email, last_login_at=timezone.now())
        email_confirm_proven(user=user, address=email, how=ConfirmedEmail.PROVIDER)
        return PanSignIn(user=user, linked_by_email=True)

    if not create_users:
        raise PanIdentityRefused("no_new_accounts", NO_NEW_ACCOUNTS)
    return PanSignIn(user=_user_create(issuer=issuer, claims=claims, email=email), created=True)


def _used_on_the_facilitys_word(user: User, email: str) -> bool:
    used = user.has_usable_password() or user.last_login is not None
    return used and ConfirmedEmail.objects.filter(user=user, email=email, how=ConfirmedEmail.FACILITY).exists()


def _user_create(*, issuer: str, claims: dict, email: str) -> User:
    """A new account for the identity; `email` is the provider-verified address, or "" (none is kept)."""
    user = User.objects.create_user(
        username=_unique_username(claims),
        email=email,
        password=None,
        first_name=str(claims.get("given_name") or claims.get("name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150] if claims.get("given_name") else "",
    )
    PanIdentity.objects.create(
        user=user, issuer=issuer, subject=str(claims["sub"]), email=_claimed_email(claims), last_login_at=timezone.now()
    )
    if email:
        # Confirmed for another account that did not match above (an inactive one): stays unconfirmed here.
        with contextlib.suppress(EmailNotConfirmed):
            email_confirm(user=user, how=ConfirmedEmail.PROVIDER)
    return user


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
