"""Operator settings of bulk invitations and reminders (see docs/operator.md, "Bulk invitations and reminders")."""

from panlearn.settings.env import env_int, env_list

# Days an emailed invitation link stays usable (after that the invitee signs in or resets their password).
PANLEARN_INVITATIONS_LINK_DAYS = env_int("PANLEARN_INVITATIONS_LINK_DAYS", 30)
# Days before an experiment's start date on which participants still missing training are reminded.
PANLEARN_INVITATIONS_START_REMINDER_DAYS = [
    int(d) for d in env_list("PANLEARN_INVITATIONS_START_REMINDER_DAYS", ["14", "3"])
]
# Days before a pass's validity ends on which its holder is reminded to renew.
PANLEARN_INVITATIONS_EXPIRY_REMINDER_DAYS = env_int("PANLEARN_INVITATIONS_EXPIRY_REMINDER_DAYS", 30)
# Largest CSV upload accepted, in rows and in bytes.
PANLEARN_INVITATIONS_MAX_ROWS = env_int("PANLEARN_INVITATIONS_MAX_ROWS", 20000)
PANLEARN_INVITATIONS_MAX_BYTES = env_int("PANLEARN_INVITATIONS_MAX_BYTES", 10 * 1024 * 1024)
