"""A second factor for accounts that reach the admin: a time-based code (TOTP, RFC 6238) from an
authenticator app, with single-use backup codes.

Such an account can clear a student for beamtime, change grades or read a facility's participants, so a
guessed or reused password must not be enough. The devices, their throttling after wrong codes and the
refusal of a code used once already are django-otp's; this module decides who needs them and keeps the
set-up to one authenticator and one set of backup codes per account.
"""

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .services import staff_like

AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"
BACKUP_CODES = 10


def second_factor_required(user) -> bool:
    return bool(settings.PANLEARN_STAFF_MFA) and user.is_authenticated and staff_like(user)


def second_factor_pending(user) -> bool:
    """An account that needs the second factor, on a request whose session it has not verified. Such an
    account counts as nobody special anywhere (the admin sends it to the code; a lesson's editor powers
    outside the admin, such as drafts and example outputs, are withheld). Only a user object that came
    through OTPMiddleware knows (`is_verified`); others are not requests' users."""
    if not settings.PANLEARN_STAFF_MFA or not hasattr(user, "is_verified"):
        return False
    return not user.is_verified() and staff_like(user)


def second_factor_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_verified(request) -> bool:
    """The session was confirmed by a device of its own account (OTPMiddleware checks the owner)."""
    return getattr(request.user, "otp_device", None) is not None


@transaction.atomic
def authenticator_start(user) -> TOTPDevice:
    """A fresh secret to scan, unconfirmed until a code from it is typed; an earlier unconfirmed one goes.
    Refused once an authenticator is confirmed: replacing it needs a reset (`manage.py second_factor reset`)."""
    if second_factor_enabled(user):
        raise ValueError("This account already has an authenticator.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def authenticator_pending(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def authenticator_confirm(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirms `device` with a code from it and verifies this session; returns the new backup codes (shown
    once), or None if the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user, confirmed=False)
    if not device.verify_token(code.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _backup_codes_replace(request.user)
    _verified(request, device)
    return codes


def _verified(request, device) -> None:
    """A new session key first, as at sign-in: a session planted in this browser by someone who knew the
    password must not become verified by the owner's code."""
    request.session.cycle_key()
    otp_login(request, device)


def _backup_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def session_verify(request, code: str) -> bool:
    """A code from the authenticator, or an unused backup code (then spent): this session is verified.
    Each device refuses for a growing time after wrong codes (django-otp's throttling)."""
    code = "".join(code.split())
    user = request.user
    devices = [*TOTPDevice.objects.filter(user=user, confirmed=True), *StaticDevice.objects.filter(user=user)]
    for device in devices:
        if not code.isdigit() and isinstance(device, TOTPDevice):
            continue
        with transaction.atomic():
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(code):
                _verified(request, locked)
                return True
    return False


@transaction.atomic
def second_factor_reset(user) -> int:
    """For a lost phone: the account's devices go, and its next admin visit asks for a new authenticator.
    Sessions verified by them stop counting (their device no longer exists)."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return deleted + static
