"""The texts of the invitation and reminder emails (plain text; built in Python, 10,000 at a time)."""

from datetime import datetime

from django.core.mail import EmailMessage

from onboarding.models import Role


def _greeting(user) -> str:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return f"Dear {name}," if name else "Hello,"


def _programme_lines(programmes) -> str:
    return "\n".join(f"  - {programme.name}" for programme in programmes) or "  (none at the moment)"


def invitation_message(*, invitation, programmes, link: str, base_url: str) -> EmailMessage:
    experiment = invitation.experiment
    facility = experiment.facility
    role = Role(invitation.row.role).label if invitation.row and invitation.row.role in Role.values else ""
    body = (
        f"{_greeting(invitation.user)}\n\n"
        f"{facility.name} has added you to experiment {experiment.proposal} ({experiment.title})"
        f"{f', as {role.lower()}' if role else ''}, starting on {experiment.start_date:%d %B %Y}.\n\n"
        f"Before it starts you must pass this training on panlearn:\n{_programme_lines(programmes)}\n\n"
        f"Open this link to start (it works once, until {invitation.expires_at:%d %B %Y}):\n{link}\n\n"
        f"Afterwards, sign in at {base_url}/accounts/login/ with {invitation.user.email}; your checklist is at "
        f"{base_url}/learn/onboarding/ready/\n"
    )
    return EmailMessage(
        subject=f"{facility.short_name}: training before your experiment {experiment.proposal}",
        body=body,
        to=[invitation.user.email],
    )


def start_reminder_message(*, participant, programmes, days: int, base_url: str) -> EmailMessage:
    experiment = participant.experiment
    when = "tomorrow" if days == 1 else f"in {days} days"
    body = (
        f"{_greeting(participant.user)}\n\n"
        f"Your experiment {experiment.proposal} at {experiment.facility.name} starts {when}, on "
        f"{experiment.start_date:%d %B %Y}. This training is not valid for that date yet:\n"
        f"{_programme_lines(programmes)}\n\n"
        f"What is missing, and where to continue: {base_url}/learn/onboarding/ready/\n"
        f"(Forgotten your password? {base_url}/accounts/password-reset/)\n"
    )
    return EmailMessage(
        subject=f"{experiment.facility.short_name}: training missing for {experiment.proposal}",
        body=body,
        to=[participant.user.email],
    )


def expiry_reminder_message(*, completion, valid_until: datetime, base_url: str) -> EmailMessage:
    programme = completion.programme
    body = (
        f"{_greeting(completion.user)}\n\n"
        f"Your pass of “{programme.name}” at {programme.facility.name} is valid until {valid_until:%d %B %Y}.\n"
        f"Renew it before then"
        f"{f' with the refresher course “{programme.refresher_course.title}”' if programme.refresher_course else ''}"
        f": {base_url}/learn/onboarding/programmes/\n"
    )
    return EmailMessage(
        subject=f"{programme.facility.short_name}: “{programme.name}” expires on {valid_until:%d %B %Y}",
        body=body,
        to=[completion.user.email],
    )
