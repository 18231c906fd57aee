"""Operator settings of facility onboarding (see docs/operator.md, "Facility onboarding")."""

from panlearn.settings.env import env_int

# Days before a programme's validity ends from which its status reads "expiring soon" (and a renewal counts).
PANLEARN_ONBOARDING_EXPIRING_DAYS = env_int("PANLEARN_ONBOARDING_EXPIRING_DAYS", 30)
