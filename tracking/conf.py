"""Operator settings of learning records (see docs/operator.md, "Learning records")."""

import json

from panlearn.settings.env import env_bool, env_int, env_str

# "account" (a pseudonym under the site's URL) or "mbox" (the user's email address) identifies the actor.
PANLEARN_TRACKING_ACTOR = env_str("PANLEARN_TRACKING_ACTOR", "account")
# Secret the pseudonyms are derived with; empty: from DJANGO_SECRET_KEY (rotating that renames every actor).
PANLEARN_TRACKING_PSEUDONYM_SECRET = env_str("PANLEARN_TRACKING_PSEUDONYM_SECRET")
# homePage of actor accounts and base of activity IRIs; empty: PANLEARN_BASE_URL.
PANLEARN_TRACKING_HOMEPAGE = env_str("PANLEARN_TRACKING_HOMEPAGE")
# Put the code of a cell run into its statement (off: statements never carry code).
PANLEARN_TRACKING_INCLUDE_CODE = env_bool("PANLEARN_TRACKING_INCLUDE_CODE", False)
# Share of the possible points at which a graded submission counts as passed.
PANLEARN_TRACKING_PASS_THRESHOLD = float(env_str("PANLEARN_TRACKING_PASS_THRESHOLD", "1.0"))
# External LRSs: a JSON list of {"name", "endpoint", "username", "password"} (endpoint ends in /xapi/ or the like).
PANLEARN_TRACKING_LRS = json.loads(env_str("PANLEARN_TRACKING_LRS", "[]"))
# Feed the built-in statement store (/xapi/) from the outbox.
PANLEARN_TRACKING_STORE_ENABLED = env_bool("PANLEARN_TRACKING_STORE_ENABLED", True)
# HTTP basic credential of the built-in store's API; an empty password turns the API off (401).
PANLEARN_TRACKING_STORE_USERNAME = env_str("PANLEARN_TRACKING_STORE_USERNAME", "panlearn")
PANLEARN_TRACKING_STORE_PASSWORD = env_str("PANLEARN_TRACKING_STORE_PASSWORD")
# Most statements one GET of the store returns (the rest through the `more` link).
PANLEARN_TRACKING_STORE_PAGE_SIZE = env_int("PANLEARN_TRACKING_STORE_PAGE_SIZE", 100)
# The largest document (State, Activity Profile, Agent Profile) a client may store, in bytes.
PANLEARN_TRACKING_STORE_MAX_DOCUMENT_BYTES = env_int("PANLEARN_TRACKING_STORE_MAX_DOCUMENT_BYTES", 1024 * 1024)
# The largest attachment a statement may bring with it, and the largest Statements request (statements and
# attachments together), in bytes: above them the store answers 413.
PANLEARN_TRACKING_STORE_MAX_ATTACHMENT_BYTES = env_int("PANLEARN_TRACKING_STORE_MAX_ATTACHMENT_BYTES", 8 << 20)
PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES = env_int("PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES", 16 << 20)
# The largest form of the alternate request syntax, in bytes: the form is read before its credentials can be
# checked (they are in it), so an anonymous client gets no more than this read and parsed.
PANLEARN_TRACKING_STORE_MAX_ALTERNATE_BYTES = env_int("PANLEARN_TRACKING_STORE_MAX_ALTERNATE_BYTES", 4 << 20)
# Statements sent in one POST.
PANLEARN_TRACKING_BATCH_SIZE = env_int("PANLEARN_TRACKING_BATCH_SIZE", 100)
# Seconds a worker holds the rows it is sending; a worker killed mid-batch frees them after this.
PANLEARN_TRACKING_LEASE_SECONDS = env_int("PANLEARN_TRACKING_LEASE_SECONDS", 60)
# Seconds to wait for an LRS (connect and each read).
PANLEARN_TRACKING_HTTP_TIMEOUT = float(env_str("PANLEARN_TRACKING_HTTP_TIMEOUT", "10"))
# Tries before a statement is dead-lettered; the wait doubles from the base up to the cap (seconds).
PANLEARN_TRACKING_MAX_ATTEMPTS = env_int("PANLEARN_TRACKING_MAX_ATTEMPTS", 12)
PANLEARN_TRACKING_BACKOFF_BASE = float(env_str("PANLEARN_TRACKING_BACKOFF_BASE", "5"))
PANLEARN_TRACKING_BACKOFF_CAP = float(env_str("PANLEARN_TRACKING_BACKOFF_CAP", "3600"))
