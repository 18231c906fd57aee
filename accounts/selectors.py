from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.db.models.functions import Lower

from .models import ConfirmedEmail, PanIdentity


def pan_identities_for(user: User) -> QuerySet[PanIdentity]:
    return PanIdentity.objects.filter(user=user).order_by("created_at")


def email_is_confirmed(user) -> bool:
    """Whether the user's current address is one they have confirmed (a changed address is not)."""
    if not getattr(user, "email", ""):
        return False
    return ConfirmedEmail.objects.filter(user=user, email=user.email.strip().lower()).exists()


def confirmed_email_of(user) -> str:
    """The user's address if confirmed, else "": what may be matched against or reported."""
    return user.email if email_is_confirmed(user) else ""


def users_with_confirmed_email(emails) -> QuerySet[User]:
    """Accounts whose current address is confirmed and is one of `emails` (compared lower-cased)."""
    wanted = sorted({email.strip().lower() for email in emails if email})
    return User.objects.filter(confirmed_emails__email__in=wanted, confirmed_emails__email=Lower("email")).annotate(
        email_lower=Lower("email")
    )


def confirmed_emails_for(users) -> dict[int, str]:
    """{user id: their address} for those of `users` whose current address is confirmed (one query)."""
    by_id = {user.pk: user.email.strip().lower() for user in users if user.email}
    confirmed = ConfirmedEmail.objects.filter(user_id__in=list(by_id)).values_list("user_id", "email")
    return {user_id: email for user_id, email in confirmed if by_id.get(user_id) == email}


def reportable_emails(users) -> dict[int, str]:
    """{user id: their address as they wrote it} for those of `users` whose address is confirmed: what a
    page or an export may show. One typed at sign-up, unconfirmed, may be anyone's and names no one."""
    users = {user.pk: user for user in users}
    return {pk: users[pk].email for pk in confirmed_emails_for(users.values())}
