"""Operator settings of the user-office export (see docs/user-office.md)."""

from panlearn.settings.env import env_bool, env_int

# Rows per page of the JSON API when the caller gives no `limit`, and the most a caller may ask for.
PANLEARN_USEROFFICE_PAGE_SIZE = env_int("PANLEARN_USEROFFICE_PAGE_SIZE", 100)
PANLEARN_USEROFFICE_MAX_PAGE_SIZE = env_int("PANLEARN_USEROFFICE_MAX_PAGE_SIZE", 1000)
# Seconds a webhook receiver has to answer before the attempt counts as failed.
PANLEARN_USEROFFICE_WEBHOOK_TIMEOUT = env_int("PANLEARN_USEROFFICE_WEBHOOK_TIMEOUT", 10)
# Attempts per webhook event before it is given up (backoff: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h...).
PANLEARN_USEROFFICE_WEBHOOK_ATTEMPTS = env_int("PANLEARN_USEROFFICE_WEBHOOK_ATTEMPTS", 8)
# Allow webhook URLs on loopback and private networks (off: staff could otherwise aim the server at its own services).
PANLEARN_USEROFFICE_WEBHOOK_ALLOW_PRIVATE = env_bool("PANLEARN_USEROFFICE_WEBHOOK_ALLOW_PRIVATE", False)
